#pragma once
// What one worker measures, written by that worker's thread only (no atomics, no locks). The
// monitor reads the live counters while the run goes on; everything else is merged, exactly,
// after the workers have stopped.
#include <cstdint>

#include "inferload/http1/client.hpp"
#include "inferload/metrics/histogram.hpp"
#include "inferload/metrics/live_counter.hpp"
#include "inferload/metrics/summary.hpp"

namespace inferload::load {

// k6's http_req_* metrics for one tag set.
struct HttpReqMetrics {
  metrics::Histogram duration, blocked, connecting, sending, waiting, receiving;
  metrics::Histogram duration_expected;  // http_req_duration{expected_response:true}
  std::uint64_t count = 0;               // http_reqs
  std::uint64_t failed = 0;              // http_req_failed's non-zero samples

  void merge(const HttpReqMetrics& o) noexcept;
};

struct Shard {
  HttpReqMetrics http;
  metrics::Histogram iteration_duration;
  std::uint64_t iterations = 0;
  std::uint64_t iterations_interrupted = 0;
  std::uint64_t iterations_started = 0;
  std::uint64_t data_sent = 0;
  std::uint64_t data_received = 0;
  std::uint64_t checks_passed = 0;  // "model http prediction success"
  std::uint64_t checks_failed = 0;
  metrics::RequestAccounting requests;

  // Read by the monitor thread while the run goes on.
  metrics::LiveCounter live_iterations;
  metrics::LiveCounter live_interrupted;
  metrics::LiveCounter live_requests;
  metrics::LiveCounter live_failed;
  metrics::LiveCounter live_active_vus;

  // One REST inference: k6's HTTP metrics, the check, and the request's fate.
  void record_rest(const http1::Exchange& x) noexcept;
  void record_iteration(runtime::Nanos duration) noexcept;
  void record_interrupted_iteration() noexcept;

  void merge(const Shard& o) noexcept;  // the live counters are not merged
};

}  // namespace inferload::load
