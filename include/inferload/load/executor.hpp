#pragma once
// An executor decides when a scenario's VUs start iterations, and nothing else: what an
// iteration does is the program's business, and the clock, the VUs' lives, the metrics and the
// stops are the engine's. Each k6 executor is one small unit behind this interface
// (executor_*.cpp); make_executor() is the one place that names them all.
//
// An Executor is made once per scenario and shared by the workers (read-only, or atomics, as
// shared-iterations' pool). Each worker runs its own WorkerExecutor on its own thread with its
// own share of the VUs and of the schedule: the workers never talk to each other.
#include <coroutine>
#include <cstdint>
#include <memory>
#include <utility>

#include "inferload/load/execution_segment.hpp"
#include "inferload/load/program.hpp"
#include "inferload/load/scenario.hpp"
#include "inferload/load/shard.hpp"
#include "inferload/runtime/reactor.hpp"
#include "inferload/runtime/task.hpp"

namespace inferload::load {

// One VU of a scenario on one worker.
struct Vu {
  std::unique_ptr<VuProgram> program;
  VuIdentity id;
  bool in_iteration = false;
  // ramping-vus: finish the iteration in progress, then start no other.
  bool stop_requested = false;
  // The VU's coroutine while it waits to be given an iteration (arrival-rate executors).
  std::coroutine_handle<> idle_waiter;
  Nanos intended = 0;  // the due time of the iteration it was last given
  Nanos lateness = -1;  // how late its current iteration started; -1: not scheduled
  std::uint64_t iterations_left = 0;  // per-vu-iterations
};

// What the engine offers an executor on one worker.
class ExecutorHost {
 public:
  virtual ~ExecutorHost() = default;
  virtual runtime::Reactor& reactor() noexcept = 0;
  virtual int worker_index() const noexcept = 0;
  virtual int worker_count() const noexcept = 0;
  virtual const ScenarioConfig& config() const noexcept = 0;
  // The scenario's own start (after its startTime) and the end of its regular duration, on the
  // reactor's clock (runtime::Reactor::clock).
  virtual Nanos start() const noexcept = 0;
  virtual Nanos regular_end() const noexcept = 0;
  // False once no new iteration may start: the regular duration is over or the run is stopping.
  virtual bool may_start() const noexcept = 0;
  // True once the run is being stopped (a signal): nothing may start, however late it is due.
  virtual bool stopped() const noexcept = 0;
  // A new VU of this scenario on this worker, its program made. Lives until the scenario ends.
  virtual Vu& add_vu() = 0;
  // Around every iteration a VU runs: begin_iteration() returns its actual start; with a
  // scheduled start it records the lateness. end_iteration() records its duration, or that it
  // was interrupted. (Not one coroutine wrapping the iteration: every VU would hold its frame.)
  virtual Nanos begin_iteration(Vu& vu, const IterationStart& start) noexcept = 0;
  virtual void end_iteration(Vu& vu, Nanos started, IterationEnd end) noexcept = 0;
  // Iterations that were due and could not start (dropped_iterations).
  virtual void drop(std::uint64_t n) noexcept = 0;
  // Ends the VU's waits with FireReason::interrupted (its iteration ends as interrupted).
  virtual void interrupt(Vu& vu) noexcept = 0;
  // The tag the executor's own timers carry, so that the scenario's hard stop interrupts them.
  virtual std::uint32_t scenario_owner() const noexcept = 0;
  // Runs `task` on the worker; the scenario ends on this worker once run() and every task
  // started this way have ended.
  virtual void spawn(runtime::Task<void> task) = 0;
};

class WorkerExecutor {
 public:
  virtual ~WorkerExecutor() = default;
  // Before the run's clock starts (start() is not known yet): time to make the VUs that exist
  // from the start, whose connections the engine then opens (--preconnect). Spawns nothing: VUs
  // made here start their coroutines in run(), which may never be called (a run stopped before
  // it began).
  virtual runtime::Task<void> prepare(ExecutorHost& host) {
    (void)host;
    co_return;
  }
  // Drives this worker's share of the scenario from its start; may return before the tasks it
  // spawned have ended.
  virtual runtime::Task<void> run(ExecutorHost& host) = 0;
};

class Executor {
 public:
  explicit Executor(SegmentShare iteration_numbers) : iteration_numbers_(std::move(iteration_numbers)) {}
  virtual ~Executor() = default;
  // On worker `index` of `workers`, on that worker's thread.
  virtual std::unique_ptr<WorkerExecutor> for_worker(int index, int workers) = 0;
  // Iterations dropped that only the end of the scenario reveals (shared-iterations: the ones
  // nobody claimed), given how many started on every worker together.
  virtual std::uint64_t dropped_at_end(std::uint64_t started) const noexcept {
    (void)started;
    return 0;
  }
  // Which global iteration numbers (k6's scenario.iterationInTest) this process's iterations
  // take: its n-th iteration to start (from 0) is global_index(n), unique across the segments.
  const SegmentShare& iteration_numbers() const noexcept { return iteration_numbers_; }

 private:
  SegmentShare iteration_numbers_;
};

// The executor of a validated scenario, for this process's `segment` of the test (k6-semantics.md
// 3.5): it runs its share of the VUs, of the iterations and of the arrival schedule, so that the
// processes of one sequence together run the scenario exactly once.
std::unique_ptr<Executor> make_executor(const ScenarioConfig& config, const SegmentShare& segment = SegmentShare());

// How many of `total` things (VUs, VU numbers) worker `index` of `workers` gets: those numbered
// n with n % workers == index, so that shares add up to the total, exactly.
inline std::int64_t striped_share(std::int64_t total, int index, int workers) noexcept {
  if (total <= index) return 0;
  return (total - index + workers - 1) / workers;
}

}  // namespace inferload::load
