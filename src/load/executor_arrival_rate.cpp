// constant-arrival-rate and ramping-arrival-rate: iterations start on a schedule, whatever the
// server does (k6-semantics.md 2.2). Each worker paces its own share of the schedule
// (load::ArrivalSchedule) with its own share of preAllocatedVUs and maxVUs. A due iteration
// takes an idle VU; with none idle a new VU is made at once, up to maxVUs (making one costs
// microseconds here, not a JS runtime's init, so the pacer never waits for it); beyond maxVUs
// the iteration is dropped. Late wake-ups start the overdue iterations back to back, each with
// its own intended start, so that the lateness is measured, not hidden. A segment of the test has
// its share of preAllocatedVUs and maxVUs, and starts the global iterations it owns in the
// sequence re-derived from maxVUs, each at its global due time (k6-semantics.md 3.5).
#include <vector>

#include "executors.hpp"
#include "inferload/load/arrival_schedule.hpp"

namespace inferload::load {
namespace {

class ArrivalRateWorker final : public WorkerExecutor {
 public:
  ArrivalRateWorker(const ScenarioConfig& c, const SegmentShare& segment, const SegmentShare& iterations, int index,
                    int workers)
      : c_(c),
        schedule_(c.executor == ExecutorKind::constant_arrival_rate
                      ? ArrivalSchedule::constant(c.rate, c.time_unit, c.duration, index, workers, iterations)
                      : ArrivalSchedule::ramping(c.rate, c.time_unit, c.stages, index, workers, iterations)),
        pre_allocated_(striped_share(segment.share(c.pre_allocated_vus), index, workers)),
        max_vus_(striped_share(segment.share(c.resolved_max_vus()), index, workers)) {}

  runtime::Task<void> prepare(ExecutorHost& host) override {
    for (std::int64_t i = 0; i < pre_allocated_; ++i) prepared_.push_back(&host.add_vu());
    made_ = pre_allocated_;
    co_return;
  }

  runtime::Task<void> run(ExecutorHost& host) override {
    idle_.reserve(static_cast<std::size_t>(max_vus_));
    // Last in, first out: the first VU given an iteration is the first pre-allocated one.
    for (auto it = prepared_.rbegin(); it != prepared_.rend(); ++it) host.spawn(vu_loop(host, **it));
    prepared_.clear();
    runtime::Reactor& r = host.reactor();
    Nanos due = 0;
    while (schedule_.next(due)) {
      const Nanos at = host.start() + due;
      if (at >= host.regular_end()) break;
      if (host.reactor().clock() < at &&
          co_await runtime::sleep_until(r, at, host.scenario_owner()) == runtime::FireReason::interrupted) {
        break;
      }
      // Due within the regular duration, it starts even if the loop woke after the end: late,
      // and measured so, but never silently lost.
      if (host.stopped()) break;
      if (idle_.empty() && made_ < max_vus_) new_vu(host);
      if (idle_.empty()) {
        host.drop(1);
        continue;
      }
      Vu* vu = idle_.back();
      idle_.pop_back();
      vu->intended = at;
      std::coroutine_handle<> h = vu->idle_waiter;
      vu->idle_waiter = {};
      h.resume();
    }
    stopped_ = true;
    // The idle VUs end now; the busy ones when their iteration does.
    std::vector<Vu*> idle;
    idle.swap(idle_);
    for (Vu* vu : idle) {
      std::coroutine_handle<> h = vu->idle_waiter;
      vu->idle_waiter = {};
      h.resume();
    }
  }

 private:
  struct Idle {
    ArrivalRateWorker& w;
    Vu& vu;
    bool await_ready() const noexcept { return w.stopped_; }
    void await_suspend(std::coroutine_handle<> h) noexcept {
      vu.idle_waiter = h;
      w.idle_.push_back(&vu);
    }
    void await_resume() const noexcept {}
  };

  void new_vu(ExecutorHost& host) {
    ++made_;
    host.spawn(vu_loop(host, host.add_vu()));
  }

  runtime::Task<void> vu_loop(ExecutorHost& host, Vu& vu) {
    for (;;) {
      co_await Idle{*this, vu};
      if (stopped_) break;
      const IterationStart start{vu.intended, true};
      const Nanos started = host.begin_iteration(vu, start);
      const IterationEnd end = co_await vu.program->iterate(start);
      host.end_iteration(vu, started, end);
      if (end == IterationEnd::interrupted) break;
    }
  }

  const ScenarioConfig& c_;
  ArrivalSchedule schedule_;
  std::int64_t pre_allocated_, max_vus_;
  std::int64_t made_ = 0;
  std::vector<Vu*> prepared_;  // made by prepare(), their coroutines not yet started
  std::vector<Vu*> idle_;  // last in, first out: the VU used last has the warmest connection
  bool stopped_ = false;
};

class ArrivalRate final : public Executor {
 public:
  ArrivalRate(const ScenarioConfig& c, const SegmentShare& segment)
      : Executor(segment.for_value(c.resolved_max_vus())), c_(c), segment_(segment) {}
  std::unique_ptr<WorkerExecutor> for_worker(int index, int workers) override {
    return std::make_unique<ArrivalRateWorker>(c_, segment_, iteration_numbers(), index, workers);
  }

 private:
  ScenarioConfig c_;
  SegmentShare segment_;
};

}  // namespace

std::unique_ptr<Executor> make_arrival_rate(const ScenarioConfig& c, const SegmentShare& segment) {
  return std::make_unique<ArrivalRate>(c, segment);
}

}  // namespace inferload::load
