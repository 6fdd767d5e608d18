#pragma once
// Executors on a simulated clock (test_support::VirtualReactor): a scenario of seconds runs in
// microseconds and each iteration's start is known to the nanosecond. FakeWorker plays the
// engine's part for one worker (startTime, the scenario's hard stop, the VUs); simulate() runs a
// scenario's workers one after the other, as they share nothing but the Executor.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "inferload/load/executor.hpp"
#include "virtual_reactor.hpp"

namespace inferload::executor_simulation {

using load::ExecutorKind;
using load::IterationEnd;
using load::IterationStart;
using load::ScenarioConfig;
using runtime::kMillisecond;
using runtime::kSecond;
using runtime::Nanos;

constexpr Nanos kRunStart = 1000 * kSecond;  // any point of the simulated clock
constexpr std::uint32_t kScenarioTag = 1u << 24;

struct Record {
  int vu = 0;  // its id in the test: its number when the test is not split
  Nanos started = 0;  // from the run's start
  Nanos intended = 0;  // from the run's start; scheduled iterations only
  bool scheduled = false;
  Nanos ended = -1;
  bool interrupted = false;
};

// How long an iteration of VU `vu` that starts at `started` (from the run's start) takes.
using IterationLength = std::function<Nanos(int vu, Nanos started)>;

inline IterationLength fixed(Nanos d) {
  return [d](int, Nanos) { return d; };
}

// One worker's share of one scenario, on its own simulated clock.
class FakeWorker final : public load::ExecutorHost {
 public:
  FakeWorker(const ScenarioConfig& c, int index, int workers, IterationLength length,
             const load::SegmentShare& segment = load::SegmentShare())
      : c_(c), index_(index), workers_(workers), length_(std::move(length)), segment_(segment), r_(kRunStart) {
    start_ = kRunStart + c.start_time;
    regular_end_ = start_ + c.regular_duration();
    hard_end_ = regular_end_ + c.graceful_stop;
  }

  void run(load::Executor& e) {
    executor_ = e.for_worker(index_, workers_);
    r_.spawn(drive_scenario(*this));
    r_.spawn(hard_stop(*this));
    r_.run();
    executor_.reset();
  }

  std::vector<Record> records;
  std::vector<Nanos> lateness;
  std::uint64_t dropped = 0;
  int iterations_ended = 0;

  std::size_t vus_made() const noexcept { return vus_.size(); }
  Nanos now() const noexcept { return r_.time() - kRunStart; }

  // ExecutorHost
  runtime::Reactor& reactor() noexcept override { return r_; }
  int worker_index() const noexcept override { return index_; }
  int worker_count() const noexcept override { return workers_; }
  const ScenarioConfig& config() const noexcept override { return c_; }
  Nanos start() const noexcept override { return start_; }
  Nanos regular_end() const noexcept override { return regular_end_; }
  bool may_start() const noexcept override { return r_.clock() < regular_end_; }
  bool stopped() const noexcept override { return false; }
  // VUs made by the executor's prepare(), before the clock starts.
  std::size_t vus_prepared = 0;

  load::Vu& add_vu() override {
    auto vu = std::make_unique<load::Vu>();
    const auto local = static_cast<std::uint32_t>(vus_.size());
    vu->id.number = static_cast<int>(local) * workers_ + index_ + 1;
    vu->id.id_in_test = static_cast<int>(segment_.global_index(static_cast<std::uint64_t>(vu->id.number - 1)) + 1);
    vu->id.owner = kScenarioTag | (local + 1);
    vu->program = std::make_unique<FakeVu>(*this, vu->id.id_in_test, vu->id.owner);
    vus_.push_back(std::move(vu));
    return *vus_.back();
  }

  Nanos begin_iteration(load::Vu& vu, const IterationStart& s) noexcept override {
    EXPECT_FALSE(vu.in_iteration);
    vu.in_iteration = true;
    const Nanos started = r_.clock();
    if (s.scheduled) lateness.push_back(started - s.intended);
    return started;
  }

  void end_iteration(load::Vu& vu, Nanos, IterationEnd) noexcept override {
    EXPECT_TRUE(vu.in_iteration);
    vu.in_iteration = false;
    ++iterations_ended;
  }

  void drop(std::uint64_t n) noexcept override { dropped += n; }

  void interrupt(load::Vu& vu) noexcept override {
    std::uint32_t owner = vu.id.owner;
    r_.timers().fire_interrupted_if(
        [](void* ctx, std::uint32_t o) noexcept { return o == *static_cast<std::uint32_t*>(ctx); }, &owner);
  }

  std::uint32_t scenario_owner() const noexcept override { return kScenarioTag; }
  void spawn(runtime::Task<void> task) override { r_.spawn(std::move(task)); }

 private:
  struct FakeVu final : load::VuProgram {
    FakeVu(FakeWorker& w, int number, std::uint32_t owner) : w(w), number(number), owner(owner) {}
    runtime::Task<IterationEnd> iterate(const IterationStart& s) override {
      const Nanos started = w.r_.clock();
      const std::size_t i = w.records.size();
      w.records.push_back({number, started - kRunStart, s.scheduled ? s.intended - kRunStart : 0, s.scheduled});
      const runtime::FireReason why =
          co_await runtime::sleep_until(w.r_, started + w.length_(number, started - kRunStart), owner);
      w.records[i].ended = w.r_.clock() - kRunStart;
      w.records[i].interrupted = why == runtime::FireReason::interrupted;
      co_return w.records[i].interrupted ? IterationEnd::interrupted : IterationEnd::completed;
    }
    FakeWorker& w;
    int number;
    std::uint32_t owner;
  };

  // The engine's run_scenario: the executor starts at the scenario's startTime.
  static runtime::Task<void> drive_scenario(FakeWorker& w) {
    co_await w.executor_->prepare(w);
    w.vus_prepared = w.vus_.size();
    const runtime::FireReason why = co_await runtime::sleep_until(w.r_, w.start_, kScenarioTag);
    if (why == runtime::FireReason::interrupted || !w.may_start()) co_return;
    co_await w.executor_->run(w);
  }

  // The scenario's hard stop, gracefulStop after its regular end: every wait of it gives up.
  static runtime::Task<void> hard_stop(FakeWorker& w) {
    co_await runtime::sleep_until(w.r_, w.hard_end_);
    std::uint32_t tag = kScenarioTag;
    w.r_.timers().fire_interrupted_if(
        [](void* ctx, std::uint32_t o) noexcept { return (o >> 24) == (*static_cast<std::uint32_t*>(ctx) >> 24); }, &tag);
  }

  ScenarioConfig c_;
  int index_, workers_;
  IterationLength length_;
  load::SegmentShare segment_;
  test_support::VirtualReactor r_;
  Nanos start_ = 0, regular_end_ = 0, hard_end_ = 0;
  std::unique_ptr<load::WorkerExecutor> executor_;
  std::deque<std::unique_ptr<load::Vu>> vus_;
};

// The scenario on `workers` workers, one after the other (they share nothing but the Executor).
struct Outcome {
  std::vector<std::unique_ptr<FakeWorker>> workers;
  std::uint64_t dropped_at_end = 0;

  std::vector<Record> all() const {
    std::vector<Record> out;
    for (const auto& w : workers) out.insert(out.end(), w->records.begin(), w->records.end());
    std::sort(out.begin(), out.end(), [](const Record& a, const Record& b) {
      return a.started != b.started ? a.started < b.started : a.vu < b.vu;
    });
    return out;
  }
  std::uint64_t dropped() const {
    std::uint64_t n = dropped_at_end;
    for (const auto& w : workers) n += w->dropped;
    return n;
  }
  std::vector<Nanos> lateness() const {
    std::vector<Nanos> out;
    for (const auto& w : workers) out.insert(out.end(), w->lateness.begin(), w->lateness.end());
    return out;
  }
};

// `segment`: the part of the test this process runs.
inline Outcome simulate(ScenarioConfig c, IterationLength length, int workers = 1,
                        const load::SegmentShare& segment = load::SegmentShare()) {
  c.validate();
  auto executor = load::make_executor(c, segment);
  Outcome r;
  std::uint64_t started = 0;
  for (int i = 0; i < workers; ++i) {
    r.workers.push_back(std::make_unique<FakeWorker>(c, i, workers, length, segment));
    r.workers.back()->run(*executor);
    started += r.workers.back()->records.size();
    EXPECT_EQ(r.workers.back()->iterations_ended, static_cast<int>(r.workers.back()->records.size()));
  }
  r.dropped_at_end = executor->dropped_at_end(started);
  return r;
}

inline std::vector<Nanos> intended_of(const std::vector<Record>& rs) {
  std::vector<Nanos> out;
  for (const Record& r : rs) out.push_back(r.intended);
  std::sort(out.begin(), out.end());
  return out;
}

inline int count_in(const std::vector<Record>& rs, Nanos from, Nanos to) {
  return static_cast<int>(std::count_if(rs.begin(), rs.end(), [&](const Record& r) { return r.started >= from && r.started < to; }));
}

inline ScenarioConfig constant_rate(std::int64_t rate, Nanos duration, int pre, int max) {
  ScenarioConfig c;
  c.executor = ExecutorKind::constant_arrival_rate;
  c.rate = rate;
  c.duration = duration;
  c.pre_allocated_vus = pre;
  c.max_vus = max;
  return c;
}

}  // namespace inferload::executor_simulation
