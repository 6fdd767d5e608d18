// Every executor on a simulated clock (executor_simulation.hpp), so the schedules, the stage
// boundaries, the ramp-downs, the stops and the dropped iterations are asserted exactly. The
// real engine drives the same executors in load_executor_test.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "executor_simulation.hpp"
#include "inferload/load/arrival_schedule.hpp"

namespace inferload {
namespace {

using namespace executor_simulation;
using load::Stage;

TEST(ExecutorSchedule, ConstantArrivalRateStartsEveryIterationOnItsDueTime) {
  const Outcome r = simulate(constant_rate(10, 3 * kSecond, 2, 10), fixed(50 * kMillisecond));
  const auto rs = r.all();
  ASSERT_EQ(rs.size(), 30u);
  for (std::size_t k = 0; k < rs.size(); ++k) {
    EXPECT_TRUE(rs[k].scheduled);
    EXPECT_EQ(rs[k].intended, static_cast<Nanos>(k) * 100 * kMillisecond);
    EXPECT_EQ(rs[k].started, rs[k].intended);
    EXPECT_FALSE(rs[k].interrupted);
  }
  for (int s = 0; s < 3; ++s) EXPECT_EQ(count_in(rs, s * kSecond, (s + 1) * kSecond), 10) << "second " << s;
  EXPECT_EQ(r.dropped(), 0u);
  EXPECT_EQ(r.workers[0]->vus_made(), 2u);  // the pre-allocated ones were always enough
  for (Nanos l : r.lateness()) EXPECT_EQ(l, 0);
  EXPECT_EQ(r.lateness().size(), 30u);
}

TEST(ExecutorSchedule, ArrivalRatesMakeThePreAllocatedVusBeforeTheClockStarts) {
  // Made in prepare(), where the engine can open their connections (--preconnect) before the
  // first due time; 100/s with 30 ms iterations needs 3 at once of each worker's 4.
  ScenarioConfig c = constant_rate(100, kSecond, 8, 12);
  c.start_time = 500 * kMillisecond;
  const Outcome r = simulate(c, fixed(30 * kMillisecond), 2);
  for (const auto& w : r.workers) {
    EXPECT_EQ(w->vus_prepared, 4u) << "worker " << w->worker_index() << ": its share of the 8";
    EXPECT_EQ(w->vus_made(), 4u) << "and no more were needed";
  }
  ASSERT_EQ(r.all().size(), 100u);
  EXPECT_EQ(r.all().front().started, 500 * kMillisecond);
}

TEST(ExecutorSchedule, WorkersSchedulesMergeToTheRequestedOneForRatesThatDoNotDivide) {
  const ScenarioConfig c = constant_rate(7, 3 * kSecond, 10, 10);
  const auto one = intended_of(simulate(c, fixed(kMillisecond), 1).all());
  // k6's period is 1 s / 7 truncated to whole nanoseconds: the 22nd is due 18 ns before 3 s.
  ASSERT_EQ(one.size(), 22u);
  for (int workers : {2, 3, 10}) {
    const Outcome r = simulate(c, fixed(kMillisecond), workers);
    EXPECT_EQ(intended_of(r.all()), one) << workers << " workers";
    std::size_t biggest = 0, smallest = 22;
    for (const auto& w : r.workers) {
      biggest = std::max(biggest, w->records.size());
      smallest = std::min(smallest, w->records.size());
    }
    EXPECT_LE(biggest - smallest, 1u) << "the iterations are striped over the workers";
  }
}

TEST(ExecutorSchedule, RampingArrivalRateKeepsItsStageBoundaries) {
  ScenarioConfig c;
  c.executor = ExecutorKind::ramping_arrival_rate;
  c.rate = 0;  // startRate
  c.stages = {{2 * kSecond, 10}, {2 * kSecond, 10}, {kSecond, 0}};
  c.pre_allocated_vus = 4;
  c.max_vus = 4;
  const Outcome r = simulate(c, fixed(kMillisecond));
  const auto rs = r.all();
  // Iteration k (from 1) is due when the area under the rate reaches k: 10 by 2 s, 30 by 4 s,
  // 35 by 5 s, and those due at 5 s or later do not exist. The 10th is due at 2 s exactly, the
  // 30th at 4 s exactly: each falls into the next stage.
  EXPECT_EQ(count_in(rs, 0, 2 * kSecond), 9);
  EXPECT_EQ(count_in(rs, 2 * kSecond, 4 * kSecond), 20);
  EXPECT_EQ(count_in(rs, 4 * kSecond, 5 * kSecond), 5);
  ASSERT_EQ(rs.size(), 34u);
  EXPECT_EQ(rs[9].intended, 2 * kSecond);
  EXPECT_EQ(rs[29].intended, 4 * kSecond);
  // In the constant stage, one every 100 ms.
  for (std::size_t k = 9; k < 29; ++k) EXPECT_EQ(rs[k + 1].intended - rs[k].intended, 100 * kMillisecond);
  // Exactly the schedule's due times, and the same split over three workers.
  auto schedule = load::ArrivalSchedule::ramping(c.rate, c.time_unit, c.stages, 0, 1);
  std::vector<Nanos> due;
  for (Nanos d = 0; schedule.next(d);) due.push_back(d);
  EXPECT_EQ(intended_of(rs), due);
  EXPECT_EQ(intended_of(simulate(c, fixed(kMillisecond), 3).all()), due);
  for (const Record& x : rs) EXPECT_EQ(x.started, x.intended);
}

TEST(ExecutorSchedule, IterationsBeyondMaxVusAreDroppedAndCounted) {
  // 100/s with five VUs of 95 ms: each VU is free again 5 ms before its next turn, so the five
  // start one iteration every 100 ms each and the other five of every 100 ms are dropped.
  const Outcome r = simulate(constant_rate(100, kSecond, 1, 5), fixed(95 * kMillisecond));
  const auto rs = r.all();
  EXPECT_EQ(rs.size(), 50u);
  EXPECT_EQ(r.dropped(), 50u);
  EXPECT_EQ(rs.size() + r.dropped(), 100u) << "every due iteration started or was dropped";
  EXPECT_EQ(r.workers[0]->vus_made(), 5u);
  for (const Record& x : rs) {
    EXPECT_LT(x.intended % (100 * kMillisecond), 50 * kMillisecond) << "only the first five of each 100 ms start";
    EXPECT_EQ(x.started, x.intended);
  }
  // Split over two workers, each with its share of maxVUs (3 and 2): still nothing lost.
  const Outcome two = simulate(constant_rate(100, kSecond, 1, 5), fixed(95 * kMillisecond), 2);
  EXPECT_EQ(two.all().size() + two.dropped(), 100u);
}

TEST(ExecutorSchedule, StartTimeOffsetsTheWholeSchedule) {
  ScenarioConfig c = constant_rate(10, kSecond, 1, 1);
  c.start_time = 2 * kSecond;
  const auto rs = simulate(c, fixed(kMillisecond)).all();
  ASSERT_EQ(rs.size(), 10u);
  for (std::size_t k = 0; k < rs.size(); ++k) EXPECT_EQ(rs[k].intended, 2 * kSecond + static_cast<Nanos>(k) * 100 * kMillisecond);

  ScenarioConfig v;
  v.executor = ExecutorKind::constant_vus;
  v.vus = 1;
  v.duration = kSecond;
  v.start_time = 1500 * kMillisecond;
  const auto vs = simulate(v, fixed(400 * kMillisecond)).all();
  ASSERT_EQ(vs.size(), 3u);
  EXPECT_EQ(vs[0].started, 1500 * kMillisecond);
  EXPECT_EQ(vs[2].started, 2300 * kMillisecond);
}

TEST(ExecutorSchedule, ConstantVusLoopsWithoutSchedule) {
  ScenarioConfig c;
  c.executor = ExecutorKind::constant_vus;
  c.vus = 2;
  c.duration = kSecond;
  const Outcome r = simulate(c, fixed(300 * kMillisecond));
  const auto rs = r.all();
  ASSERT_EQ(rs.size(), 8u);
  for (std::size_t k = 0; k < rs.size(); ++k) {
    EXPECT_FALSE(rs[k].scheduled);
    EXPECT_EQ(rs[k].started, static_cast<Nanos>(k / 2) * 300 * kMillisecond);
    EXPECT_FALSE(rs[k].interrupted);
  }
  EXPECT_EQ(rs.back().ended, 1200 * kMillisecond) << "the last iterations run into gracefulStop";
  EXPECT_TRUE(r.lateness().empty()) << "closed loop has no intended start";
}

TEST(ExecutorSchedule, GracefulStopInterruptsAtItsEnd) {
  ScenarioConfig c;
  c.executor = ExecutorKind::constant_vus;
  c.vus = 1;
  c.duration = kSecond;
  c.graceful_stop = 500 * kMillisecond;
  const auto rs = simulate(c, fixed(2 * kSecond)).all();
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_TRUE(rs[0].interrupted);
  EXPECT_EQ(rs[0].ended, 1500 * kMillisecond);
}

TEST(ExecutorSchedule, PerVuIterationsCountsEachVuAndDropsWhatMaxDurationCuts) {
  ScenarioConfig c;
  c.executor = ExecutorKind::per_vu_iterations;
  c.vus = 3;
  c.iterations = 4;
  c.duration = 10 * kSecond;  // maxDuration
  Outcome r = simulate(c, fixed(100 * kMillisecond));
  std::map<int, int> per_vu;
  for (const Record& x : r.all()) ++per_vu[x.vu];
  EXPECT_EQ(per_vu, (std::map<int, int>{{1, 4}, {2, 4}, {3, 4}}));
  EXPECT_EQ(r.dropped(), 0u);
  EXPECT_EQ(r.all().back().ended, 400 * kMillisecond);

  c.duration = kSecond;  // room for three each: starts at 0, 400 and 800 ms
  r = simulate(c, fixed(400 * kMillisecond));
  EXPECT_EQ(r.all().size(), 9u);
  EXPECT_EQ(r.dropped(), 3u);
  r = simulate(c, fixed(400 * kMillisecond), 2);
  EXPECT_EQ(r.all().size(), 9u);
  EXPECT_EQ(r.dropped(), 3u);
}

TEST(ExecutorSchedule, SharedIterationsSharesThePoolAndDropsWhatNobodyClaimed) {
  ScenarioConfig c;
  c.executor = ExecutorKind::shared_iterations;
  c.vus = 3;
  c.iterations = 10;
  c.duration = 10 * kSecond;
  Outcome r = simulate(c, fixed(kSecond));
  auto rs = r.all();
  ASSERT_EQ(rs.size(), 10u);
  EXPECT_EQ(rs.back().started, 3 * kSecond);
  EXPECT_EQ(rs.back().ended, 4 * kSecond);
  EXPECT_EQ(r.dropped(), 0u);

  c.duration = 2500 * kMillisecond;  // three rounds of three start, the tenth never does
  r = simulate(c, fixed(kSecond));
  EXPECT_EQ(r.all().size(), 9u);
  EXPECT_EQ(r.dropped(), 1u);
}

ScenarioConfig two_then_one(Nanos graceful_ramp_down) {
  ScenarioConfig c;
  c.executor = ExecutorKind::ramping_vus;
  c.start_vus = 0;
  c.stages = {{0, 2}, {kSecond, 2}, {0, 1}, {kSecond, 1}};
  c.graceful_ramp_down = graceful_ramp_down;
  return c;
}

TEST(ExecutorSchedule, RampingVusFollowsItsStagesAndRampsDownGracefully) {
  const auto rs = simulate(two_then_one(30 * kSecond), fixed(300 * kMillisecond)).all();
  std::vector<Nanos> vu1, vu2;
  for (const Record& x : rs) (x.vu == 1 ? vu1 : vu2).push_back(x.started);
  // VU 1 loops for both stages; VU 2 is asked to stop at 1 s, during its fourth iteration,
  // which it finishes.
  EXPECT_EQ(vu1, (std::vector<Nanos>{0, 300 * kMillisecond, 600 * kMillisecond, 900 * kMillisecond,
                                     1200 * kMillisecond, 1500 * kMillisecond, 1800 * kMillisecond}));
  EXPECT_EQ(vu2, (std::vector<Nanos>{0, 300 * kMillisecond, 600 * kMillisecond, 900 * kMillisecond}));
  for (const Record& x : rs) EXPECT_FALSE(x.interrupted);
}

TEST(ExecutorSchedule, RampingVusInterruptsWhatOutlivesGracefulRampDown) {
  const auto rs = simulate(two_then_one(100 * kMillisecond), fixed(300 * kMillisecond)).all();
  int interrupted = 0;
  for (const Record& x : rs) {
    if (!x.interrupted) continue;
    ++interrupted;
    EXPECT_EQ(x.vu, 2);
    EXPECT_EQ(x.started, 900 * kMillisecond);
    EXPECT_EQ(x.ended, 1100 * kMillisecond) << "gracefulRampDown after the ramp-down at 1 s";
  }
  EXPECT_EQ(interrupted, 1);
  EXPECT_EQ(rs.size(), 11u);
}

}  // namespace
}  // namespace inferload
