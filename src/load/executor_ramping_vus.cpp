// ramping-vus: the number of looping VUs follows k6's step function of the stages
// (load::RampingVusSteps). When the count drops, the highest-numbered VUs finish the iteration
// in progress and start no other; one still running gracefulRampDown later is interrupted. A VU
// asked to stop that is wanted again before it stopped simply goes on (k6-semantics.md 2.2). A
// segment of the test owns some of the global VU numbers (SegmentShare's stripes): its VU u is
// active exactly when the unsplit test's would be, so the segments' curves add up to the stages'.
#include <deque>
#include <vector>

#include "closed_loop.hpp"
#include "executors.hpp"
#include "inferload/load/ramping_vus_plan.hpp"

namespace inferload::load {
namespace {

class RampingVusWorker final : public WorkerExecutor {
 public:
  RampingVusWorker(const ScenarioConfig& c, const SegmentShare& segment, int index, int workers)
      : c_(c), segment_(segment), index_(index), workers_(workers) {}

  runtime::Task<void> run(ExecutorHost& host) override {
    RampingVusSteps steps(c_.start_vus, c_.stages);
    VuStep step;
    while (steps.next(step)) {
      const Nanos at = host.start() + step.at;
      if (at > host.regular_end()) break;
      if (host.reactor().clock() < at &&
          co_await runtime::sleep_until(host.reactor(), at, host.scenario_owner()) == runtime::FireReason::interrupted) {
        break;
      }
      if (!host.may_start()) break;
      apply(host, worker_share(segment_.share(step.active), index_, workers_));
    }
  }

 private:
  struct Slot {
    Vu* vu = nullptr;
    bool looping = false;
    std::uint64_t stop_generation = 0;  // which stop request a pending ramp-down deadline is for
  };
  struct RampDown {
    Nanos deadline;
    std::size_t slot;
    std::uint64_t generation;
  };

  void apply(ExecutorHost& host, std::int64_t want) {
    while (active_ < want) {
      const auto i = static_cast<std::size_t>(active_++);
      if (i == slots_.size()) slots_.push_back(Slot{&host.add_vu()});
      Slot& s = slots_[i];
      s.vu->stop_requested = false;
      ++s.stop_generation;
      if (!s.looping) {
        s.looping = true;
        host.spawn(vu_loop(host, i));
      }
    }
    while (active_ > want) {
      const auto i = static_cast<std::size_t>(--active_);
      Slot& s = slots_[i];
      s.vu->stop_requested = true;
      ++s.stop_generation;
      if (s.looping && s.vu->in_iteration) {
        ramp_downs_.push_back({host.reactor().clock() + c_.graceful_ramp_down, i, s.stop_generation});
        if (!reaping_) {
          reaping_ = true;
          host.spawn(reap(host));
        }
      }
    }
  }

  runtime::Task<void> vu_loop(ExecutorHost& host, std::size_t i) {
    co_await closed_loop(host, *slots_[i].vu, [](Vu& v) { return !v.stop_requested; });
    slots_[i].looping = false;
  }

  // Interrupts the iterations that outlived their graceful ramp-down. The deadlines are made in
  // increasing order (one gracefulRampDown after each drop), so the queue is sorted.
  runtime::Task<void> reap(ExecutorHost& host) {
    while (!ramp_downs_.empty()) {
      const RampDown d = ramp_downs_.front();
      if (host.reactor().clock() < d.deadline &&
          co_await runtime::sleep_until(host.reactor(), d.deadline, host.scenario_owner()) ==
              runtime::FireReason::interrupted) {
        break;
      }
      ramp_downs_.pop_front();
      Slot& s = slots_[d.slot];
      if (s.stop_generation == d.generation && s.vu->stop_requested && s.vu->in_iteration) host.interrupt(*s.vu);
    }
    ramp_downs_.clear();
    reaping_ = false;
  }

  const ScenarioConfig& c_;
  const SegmentShare& segment_;
  int index_, workers_;
  std::vector<Slot> slots_;  // in VU-number order: slot i is the worker's i-th VU
  std::int64_t active_ = 0;
  std::deque<RampDown> ramp_downs_;
  bool reaping_ = false;
};

class RampingVus final : public Executor {
 public:
  RampingVus(const ScenarioConfig& c, const SegmentShare& segment) : Executor(segment), c_(c), segment_(segment) {}
  std::unique_ptr<WorkerExecutor> for_worker(int index, int workers) override {
    return std::make_unique<RampingVusWorker>(c_, segment_, index, workers);
  }

 private:
  ScenarioConfig c_;
  SegmentShare segment_;
};

}  // namespace

std::unique_ptr<Executor> make_ramping_vus(const ScenarioConfig& c, const SegmentShare& segment) {
  return std::make_unique<RampingVus>(c, segment);
}

}  // namespace inferload::load
