// Every executor driven by the real engine, on both backends, with a program whose iterations
// only sleep: what the executors decide (how many iterations, when, on how many VUs, what is
// dropped or interrupted) is measured without any server in the way.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include "inferload/load/engine.hpp"
#include "inferload/runtime/backend.hpp"
#include "inferload/runtime/reactor.hpp"
#include "uring_probe.hpp"

namespace inferload {
namespace {

using load::IterationEnd;
using load::IterationStart;
using runtime::kMillisecond;
using runtime::kSecond;
using runtime::Nanos;

// What every iteration of a scenario saw, across workers.
struct Journal {
  std::mutex m;
  std::vector<Nanos> starts;    // actual starts
  std::vector<Nanos> intended;  // scheduled ones only
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  std::atomic<int> interrupted{0};
};

class SleepingProgram final : public load::Program {
 public:
  SleepingProgram(Nanos iteration, Journal& j) : iteration_(iteration), j_(j) {}
  void prepare(int) override {}

  std::unique_ptr<load::WorkerProgram> make_worker(const load::WorkerContext& ctx) override {
    struct Vu final : load::VuProgram {
      Vu(runtime::Reactor& r, Nanos d, Journal& j, std::uint32_t owner) : r(r), d(d), j(j), owner(owner) {}
      runtime::Task<IterationEnd> iterate(const IterationStart& start) override {
        {
          std::lock_guard lock(j.m);
          j.starts.push_back(runtime::now_ns());
          if (start.scheduled) j.intended.push_back(start.intended);
        }
        const int now = ++j.running;
        int peak = j.peak.load();
        while (now > peak && !j.peak.compare_exchange_weak(peak, now)) {
        }
        const runtime::FireReason why = co_await runtime::sleep_until(r, runtime::now_ns() + d, owner);
        --j.running;
        if (why == runtime::FireReason::interrupted) {
          ++j.interrupted;
          co_return IterationEnd::interrupted;
        }
        co_return IterationEnd::completed;
      }
      runtime::Reactor& r;
      Nanos d;
      Journal& j;
      std::uint32_t owner;
    };
    struct Worker final : load::WorkerProgram {
      Worker(runtime::Reactor& r, Nanos d, Journal& j) : r(r), d(d), j(j) {}
      std::unique_ptr<load::VuProgram> make_vu(const load::VuIdentity& id) override {
        EXPECT_NE(id.owner, 0u);
        EXPECT_GE(id.number, 1);
        return std::make_unique<Vu>(r, d, j, id.owner);
      }
      runtime::Reactor& r;
      Nanos d;
      Journal& j;
    };
    return std::make_unique<Worker>(ctx.reactor, iteration_, j_);
  }

 private:
  Nanos iteration_;
  Journal& j_;
};

class Executors : public ::testing::TestWithParam<runtime::IoBackend> {
 protected:
  load::RunResult run(std::vector<load::ScenarioRun> scenarios, int workers = 1) {
    load::RunOptions o;
    o.scenarios = std::move(scenarios);
    o.workers = workers;
    o.backend = runtime::choose_backend(GetParam());
    for (const auto& s : o.scenarios) s.config.validate();
    load::Engine engine(o);
    started_ = runtime::now_ns();
    return engine.run({});
  }
  Nanos started_ = 0;
};

load::ScenarioConfig arrival(std::int64_t rate, Nanos duration, int pre, int max) {
  load::ScenarioConfig c;
  c.executor = load::ExecutorKind::constant_arrival_rate;
  c.rate = rate;
  c.duration = duration;
  c.pre_allocated_vus = pre;
  c.max_vus = max;
  return c;
}

TEST_P(Executors, ConstantArrivalRateStartsEveryDueIterationOnTime) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  Journal j;
  SleepingProgram p(2 * kMillisecond, j);
  const load::RunResult r = run({{arrival(200, kSecond, 2, 20), &p}});
  EXPECT_EQ(r.totals->iterations, 200u);
  EXPECT_EQ(r.dropped_iterations, 0u);
  ASSERT_EQ(j.intended.size(), 200u);
  std::sort(j.intended.begin(), j.intended.end());
  // k6's schedule: one every 5 ms from the start, the first at once.
  for (std::size_t i = 1; i < j.intended.size(); ++i) EXPECT_EQ(j.intended[i] - j.intended[i - 1], 5 * kMillisecond);
  EXPECT_EQ(r.totals->schedule_lateness.count(), 200u);
  EXPECT_LE(j.peak.load(), 20);  // never beyond maxVUs
}

TEST_P(Executors, WorkersSplitTheScheduleExactly) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  Journal j;
  SleepingProgram p(kMillisecond, j);
  // 101 does not divide by 2: the workers take the odd and the even iterations. The period is
  // truncated to 9,900,990 ns, so the 102nd is due 10 ns before the end, and it runs, late or not.
  const load::RunResult r = run({{arrival(101, kSecond, 4, 40), &p}}, 2);
  EXPECT_EQ(r.workers, 2);
  EXPECT_EQ(r.totals->iterations, 102u);
  ASSERT_EQ(j.intended.size(), 102u);
  std::sort(j.intended.begin(), j.intended.end());
  const Nanos period = static_cast<Nanos>(1e9 / 101.0);
  EXPECT_LT(101 * period, kSecond);
  for (std::size_t i = 1; i < j.intended.size(); ++i) EXPECT_EQ(j.intended[i] - j.intended[i - 1], period);
}

TEST_P(Executors, TooFewVusDropIterationsAndLoseNone) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  Journal j;
  SleepingProgram p(95 * kMillisecond, j);
  // 100 due over 1 s, two VUs each busy 95 ms of every 100: about a fifth can start.
  const load::RunResult r = run({{arrival(100, kSecond, 1, 2), &p}});
  EXPECT_GT(r.dropped_iterations, 50u);
  EXPECT_EQ(r.totals->iterations + r.dropped_iterations, 100u);
  EXPECT_EQ(r.scenarios[0].dropped_iterations, r.dropped_iterations);
  EXPECT_LE(j.peak.load(), 2);
}

TEST_P(Executors, PerVuIterationsRunsEachVusCountAndDropsWhatTheClockCutOff) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  Journal j;
  SleepingProgram p(5 * kMillisecond, j);
  load::ScenarioConfig c;
  c.executor = load::ExecutorKind::per_vu_iterations;
  c.vus = 3;
  c.iterations = 7;
  c.duration = 10 * kSecond;
  load::RunResult r = run({{c, &p}});
  EXPECT_EQ(r.totals->iterations, 21u);
  EXPECT_EQ(r.dropped_iterations, 0u);

  Journal j2;
  SleepingProgram slow(300 * kMillisecond, j2);
  c.iterations = 100;
  c.duration = kSecond;  // about 4 of each VU's 100 fit
  r = run({{c, &slow}});
  EXPECT_EQ(r.totals->iterations + r.dropped_iterations, 300u);
  EXPECT_GT(r.dropped_iterations, 250u);
}

TEST_P(Executors, SharedIterationsDropsWhatNobodyClaimed) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  Journal j;
  SleepingProgram p(100 * kMillisecond, j);
  load::ScenarioConfig c;
  c.executor = load::ExecutorKind::shared_iterations;
  c.vus = 2;
  c.iterations = 1000;
  c.duration = kSecond;
  const load::RunResult r = run({{c, &p}});
  EXPECT_EQ(r.totals->iterations_started + r.dropped_iterations, 1000u);
  EXPECT_GT(r.dropped_iterations, 900u);
}

TEST_P(Executors, RampingVusFollowsItsStagesAndInterruptsAfterTheRampDownGrace) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  Journal j;
  SleepingProgram p(2 * kSecond, j);
  load::ScenarioConfig c;
  c.executor = load::ExecutorKind::ramping_vus;
  c.start_vus = 0;
  c.stages = {{400 * kMillisecond, 4}, {400 * kMillisecond, 0}};
  c.graceful_ramp_down = 100 * kMillisecond;
  c.graceful_stop = 5 * kSecond;
  const load::RunResult r = run({{c, &p}});
  EXPECT_EQ(j.peak.load(), 4);
  EXPECT_EQ(r.vus_max.max, 4);
  // VUs 4, 3, 2 are asked to stop at 500, 600, 700 ms, and 100 ms later their 2 s iterations are
  // interrupted. VU 1's turn would come at 800 ms, the end of the stages: it finishes within the
  // graceful stop like every VU at the end of a scenario.
  EXPECT_EQ(j.interrupted.load(), 3);
  EXPECT_EQ(r.totals->iterations_interrupted, 3u);
  EXPECT_EQ(r.totals->iterations, 1u);
  // VU u (1..4) joins at 100 ms x u.
  std::sort(j.starts.begin(), j.starts.end());
  ASSERT_EQ(j.starts.size(), 4u);
  for (int u = 1; u <= 4; ++u) {
    EXPECT_GE(j.starts[static_cast<std::size_t>(u - 1)] - started_, u * 100 * kMillisecond - 5 * kMillisecond);
  }
}

TEST_P(Executors, AScenariosHardStopInterruptsItsOwnVusOnly) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  Journal long_j, short_j;
  SleepingProgram long_p(5 * kSecond, long_j), short_p(300 * kMillisecond, short_j);
  load::ScenarioConfig a;
  a.name = "a";
  a.executor = load::ExecutorKind::constant_vus;
  a.vus = 2;
  a.duration = kSecond;
  a.graceful_stop = 0;
  load::ScenarioConfig b;
  b.name = "b";
  b.executor = load::ExecutorKind::per_vu_iterations;
  b.vus = 1;
  b.iterations = 6;
  b.duration = 10 * kSecond;
  b.start_time = 200 * kMillisecond;
  const load::RunResult r = run({{a, &long_p}, {b, &short_p}});
  EXPECT_EQ(r.scenarios[0].totals->iterations_interrupted, 2u);
  EXPECT_EQ(r.scenarios[0].totals->iterations, 0u);
  EXPECT_EQ(r.scenarios[1].totals->iterations, 6u);
  EXPECT_EQ(r.scenarios[1].totals->iterations_interrupted, 0u);
  // b waited for its startTime.
  ASSERT_FALSE(short_j.starts.empty());
  EXPECT_GE(*std::min_element(short_j.starts.begin(), short_j.starts.end()) - started_, 195 * kMillisecond);
  // The run ended with b, 200 ms + 6 x 300 ms in, not at a's 5 s iterations.
  EXPECT_LT(r.test_run_duration, 4 * kSecond);
}

INSTANTIATE_TEST_SUITE_P(Io, Executors, ::testing::Values(runtime::IoBackend::uring, runtime::IoBackend::epoll),
                         [](const auto& info) { return std::string(runtime::to_string(info.param)); });

}  // namespace
}  // namespace inferload
