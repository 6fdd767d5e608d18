#pragma once
// Runs one scenario: starts the workers, gives each its share of the VUs, watches the clock
// (end of the regular duration, end of the graceful stop), answers a stop request, reports live
// progress every second, and merges what the workers measured once they have all stopped.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "inferload/load/program.hpp"
#include "inferload/load/scenario.hpp"
#include "inferload/load/shard.hpp"
#include "inferload/runtime/backend.hpp"

namespace inferload::load {

struct RunOptions {
  ScenarioConfig scenario;
  int workers = 1;
  std::vector<int> cpus;  // worker i runs on cpus[i % size]; empty: no pinning
  runtime::BackendChoice backend;
  Program* program = nullptr;  // what every iteration does; outlives the run
};

struct Progress {
  Nanos elapsed = 0;
  std::int64_t active_vus = 0;
  int vus_max = 0;
  std::int64_t iterations = 0;
  std::int64_t interrupted = 0;
  std::int64_t requests = 0;
  std::int64_t failed = 0;
  bool stopping = false;  // past the regular duration, or stopped by the user
  bool done = false;
};

struct GaugeStats {
  double value = 0, min = 0, max = 0;
  void sample(double v, bool first) noexcept;
};

struct RunResult {
  std::unique_ptr<Shard> totals;  // every worker's shard merged
  Nanos test_run_duration = 0;
  GaugeStats vus;
  GaugeStats vus_max;
  std::uint64_t dropped_iterations = 0;
  bool stopped_by_user = false;
  int workers = 0;
  std::vector<std::string> worker_errors;
};

struct MonitorHooks {
  // Readable when the user asked to stop (a signalfd, for instance); -1 for none.
  int stop_fd = -1;
  // Called on the monitor thread when stop_fd is readable; returns true to stop the run now.
  std::function<bool()> on_stop_fd;
  // Called every second and once at the end.
  std::function<void(const Progress&)> on_progress;
};

class Engine {
 public:
  explicit Engine(RunOptions options);
  ~Engine();
  RunResult run(const MonitorHooks& hooks);

  // Defined in engine.cpp; public only so that the VU coroutine there can name them.
  struct Shared;
  struct WorkerSlot;

 private:
  RunOptions opt_;
};

}  // namespace inferload::load
