#pragma once
// Runs the scenarios of a test, concurrently, on one set of workers: each worker runs its share
// of every scenario (its executor's WorkerExecutor and its program's WorkerProgram). The engine
// watches the clock (each scenario's start, the end of its regular duration, its hard stop),
// answers a stop request, reports live progress every second, and merges what the workers
// measured, per scenario and in total, once they have all stopped.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "inferload/load/execution_segment.hpp"
#include "inferload/load/program.hpp"
#include "inferload/load/scenario.hpp"
#include "inferload/load/shard.hpp"
#include "inferload/metrics/live_histogram.hpp"
#include "inferload/metrics/sample_ring.hpp"
#include "inferload/runtime/backend.hpp"

namespace inferload::load {

// One scenario and what its iterations do.
struct ScenarioRun {
  ScenarioConfig config;
  Program* program = nullptr;  // outlives the run
};

// At most this many scenarios: a VU's timer owner tag keeps the scenario in its top byte.
inline constexpr std::size_t kMaxScenarios = 255;

struct RunOptions {
  std::vector<ScenarioRun> scenarios;  // validated, at most kMaxScenarios
  int workers = 1;
  std::vector<int> cpus;  // worker i runs on cpus[i % size]; empty: no pinning
  runtime::BackendChoice backend;
  // Spin this long before each deadline instead of sleeping through it (--precise-timing); 0: off.
  Nanos spin_before_deadline = 0;
  // Arrival rates' pre-allocated VUs open their connections before the clock starts.
  bool preconnect = false;
  // How often MonitorHooks::on_progress is called: each second (logs), or 100 ms on a terminal.
  Nanos progress_interval = runtime::kSecond;
  // The part of the test this process runs (--execution-segment); the whole test by default.
  SegmentShare segment;
  // The run's clock starts no earlier than this (the reactor's clock; --start-at), once every
  // worker has prepared; 0: as soon as they have.
  Nanos start_at = 0;
  // One per worker (as many as effective_workers()), or empty: every sample's record goes into
  // its worker's ring, for the outputs. They outlive the run, so that the last records are read
  // after the workers stopped.
  std::vector<metrics::SampleRing*> sample_rings;
};

// How many workers a run uses: no more than the most VUs any scenario can have at once in this
// process's segment.
int effective_workers(const RunOptions& options) noexcept;

struct ScenarioProgress {
  std::int64_t active_vus = 0;
  std::int64_t iterations = 0;
  std::int64_t dropped = 0;
};

struct Progress {
  Nanos elapsed = 0;
  std::vector<ScenarioProgress> scenarios;  // in RunOptions::scenarios' order
  std::int64_t active_vus = 0;
  std::int64_t vus_max = 0;
  std::int64_t iterations = 0;
  std::int64_t interrupted = 0;
  std::int64_t requests = 0;
  std::int64_t failed = 0;
  std::int64_t dropped = 0;
  // Every request with a result so far, by duration (metrics::LiveHistogram's buckets): the
  // difference between two reports is the interval's.
  metrics::LiveHistogram::Counts durations{};
  metrics::LiveHistogram::Counts lateness{};  // scheduled iterations' schedule_lateness, likewise
  bool second = false;    // also the once-a-second sample (vus, vus_max)
  bool stopping = false;  // past the regular duration, or stopped by the user
  bool done = false;
};

struct GaugeStats {
  double value = 0, min = 0, max = 0;
  void sample(double v, bool first) noexcept;
};

struct ScenarioResult {
  std::unique_ptr<Shard> totals;  // the scenario's shards of every worker, merged
  std::uint64_t dropped_iterations = 0;
};

struct RunResult {
  std::unique_ptr<Shard> totals;  // every scenario of every worker, merged
  std::vector<ScenarioResult> scenarios;  // in RunOptions::scenarios' order
  Nanos test_run_duration = 0;
  GaugeStats vus;
  GaugeStats vus_max;
  std::uint64_t dropped_iterations = 0;
  bool stopped_by_user = false;
  bool aborted_by_thresholds = false;
  int workers = 0;
  std::vector<double> worker_cpu_seconds;  // each worker thread's own CPU time (user + system)
  std::vector<double> worker_spin_seconds;  // of which it spun by choice rather than sleep
  std::vector<std::string> worker_errors;
};

// The result of a run that never started (its setup failed): every scenario without samples.
RunResult empty_result(std::size_t scenarios);

struct MonitorHooks {
  // Readable when the user asked to stop (a signalfd, for instance); -1 for none.
  int stop_fd = -1;
  // Called on the monitor thread when stop_fd is readable; returns true to stop the run now.
  std::function<bool()> on_stop_fd;
  // Readable when a threshold with abortOnFail failed: the run stops as a signal stops it; -1 for none.
  int abort_fd = -1;
  // Called every RunOptions::progress_interval and once at the end.
  std::function<void(const Progress&)> on_progress;
  // Called once on the monitor thread when the run's clock starts, with that instant (the
  // reactor's clock); not called when a stop came first.
  std::function<void(Nanos)> on_start;
};

class Engine {
 public:
  explicit Engine(RunOptions options);
  ~Engine();
  RunResult run(const MonitorHooks& hooks);

  // Defined in engine.cpp; public only so that the VU coroutine there can name them.
  struct Shared;
  struct WorkerSlot;
  struct ScenarioWorker;

 private:
  RunOptions opt_;
};

}  // namespace inferload::load
