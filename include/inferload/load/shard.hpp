#pragma once
// What one worker counts of the run as a whole, whatever the protocols: iterations, the fate of
// every request, bytes on the wire. Written by that worker's thread only (no atomics, no locks);
// the monitor reads the live counters while the run goes on, and everything else is merged,
// exactly, after the workers have stopped. Each protocol's own metrics live with the program
// that makes the calls (scenario::ProtocolShard).
#include <algorithm>
#include <cstdint>

#include "inferload/metrics/histogram.hpp"
#include "inferload/metrics/live_counter.hpp"
#include "inferload/metrics/live_histogram.hpp"
#include "inferload/metrics/sample_ring.hpp"
#include "inferload/metrics/summary.hpp"
#include "inferload/runtime/clock.hpp"

namespace inferload::load {

struct Shard {
  metrics::Histogram iteration_duration;
  std::uint64_t iterations = 0;
  std::uint64_t iterations_interrupted = 0;
  std::uint64_t iterations_started = 0;
  // Arrival-rate executors: iterations due when no VU was free and maxVUs was reached, and how
  // late each started iteration began after its intended start (k6's dropped_iterations, and
  // schedule_lateness, which k6 does not have).
  std::uint64_t dropped_iterations = 0;
  metrics::Histogram schedule_lateness;
  // --preconnect: VUs asked to open their connections before the clock started, and how many did.
  std::uint64_t preconnect_asked = 0;
  std::uint64_t preconnect_opened = 0;
  metrics::ByteCounts data;            // data_sent, data_received
  metrics::RequestAccounting requests;  // every request issued, by fate

  // --out csv/json: the worker's ring that every sample record goes into (null: no output wants
  // them), and this shard's scenario, which the records carry.
  metrics::SampleRing* samples = nullptr;
  std::uint8_t scenario_index = 0;
  metrics::ByteCounts data_emitted;  // the part of `data` the records have carried so far
  // Moves up to 4 GiB each way of the bytes not yet carried into `r`.
  void take_data(metrics::SampleRecord& r) noexcept { data.carry(data_emitted, r); }
  void emit(metrics::SampleRecord r) noexcept {
    r.scenario = scenario_index;
    samples->push(r);
  }

  // Read by the monitor thread while the run goes on.
  metrics::LiveCounter live_iterations;
  metrics::LiveCounter live_interrupted;
  metrics::LiveCounter live_requests;
  metrics::LiveCounter live_failed;
  metrics::LiveCounter live_active_vus;
  metrics::LiveCounter live_vus_max;  // VUs made so far (k6's vus_max)
  metrics::LiveCounter live_dropped;
  metrics::LiveHistogram live_durations;  // requests with a result: the progress display's p95
  metrics::LiveHistogram live_lateness;   // scheduled iterations' lateness, for the report's timeline

  // One request of any protocol. k6 emits no sample for a request cut off by a hard stop, so
  // the progress line does not count those; the accounting does.
  void record_request(metrics::RequestFate fate, runtime::Nanos duration = 0) noexcept {
    requests.add(fate);
    if (fate == metrics::RequestFate::interrupted) return;
    live_requests.add();
    live_durations.record(duration);
    if (fate != metrics::RequestFate::ok) live_failed.add();
  }
  void record_iteration(runtime::Nanos duration) noexcept;
  void record_interrupted_iteration() noexcept;

  void merge(const Shard& o) noexcept;  // the live counters are not merged
};

}  // namespace inferload::load
