#pragma once
// The thread that feeds the sample outputs (--out csv, json): it empties every worker's ring of
// sample records every 20 ms, turns each record into k6's rows (SampleExpander) and hands them
// to every sink. The workers never wait for it: a ring it has not emptied in time loses the
// newest records, and the loss is counted, exactly, to be reported.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "inferload/metrics/sample_ring.hpp"
#include "inferload/output/sample_rows.hpp"

namespace inferload::output {

struct SampleTotals {
  std::uint64_t rows_written = 0;
  std::uint64_t records_lost = 0;  // records the rings had no room for
  std::uint64_t rows_lost = 0;     // the rows those records would have been
  std::vector<std::string> errors;  // a sink that failed to write or close, named
  // CPU time spent turning records into rows and writing them (the output thread's, and the
  // final drain's): what the outputs cost, apart from the workers.
  double writer_cpu_seconds = 0;
};

class SampleCollector {
 public:
  // Records per worker ring: 32,768 (3 MiB) is over half a second of one worker at 50,000
  // requests a second, far beyond the 20 ms between two drains.
  static constexpr std::size_t kRingRecords = 1u << 15;

  // `ring_records` is rounded up to a power of two.
  SampleCollector(int workers, SampleContext context, std::vector<std::unique_ptr<SampleSink>> sinks,
                  std::size_t ring_records = kRingRecords);
  ~SampleCollector();

  // One ring per worker.
  std::vector<metrics::SampleRing*> rings();
  // The ring of setup and teardown, which run on a thread of their own before and after the
  // workers (scenario::ControlRun).
  metrics::SampleRing* phase_ring() noexcept { return rings_.back().get(); }
  void start();
  // From the monitor thread, each second: k6's vus and vus_max samples.
  void gauges(Nanos mono_now, double vus, double vus_max);
  // After the workers have stopped: the last records, then every sink flushed and closed.
  // `hurry`: the run was stopped by a signal, so no sink waits for anything after its close().
  SampleTotals stop(bool hurry = false);

 private:
  void run();
  void drain_once();

  std::vector<std::unique_ptr<metrics::SampleRing>> rings_;  // the workers', then the phases'
  SampleExpander expander_;
  std::vector<std::unique_ptr<SampleSink>> sinks_;
  std::vector<SampleSink*> sink_ptrs_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex gauge_mutex_;  // the monitor's once-a-second hand-over, never a worker's
  struct Gauge {
    Nanos at;
    double vus, vus_max;
  };
  std::vector<Gauge> gauges_, gauges_taken_;
  SampleTotals totals_;
  Nanos unix_offset_;
  bool stopped_ = false;
};

}  // namespace inferload::output
