#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "inferload/load/scenario.hpp"

namespace inferload::load {
namespace {

using runtime::kSecond;
constexpr Nanos kMinute = 60 * kSecond;
constexpr Nanos kMs = 1'000'000;

std::string error_of(const ScenarioConfig& sc) {
  try {
    sc.validate();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

ScenarioConfig shared(int vus, std::uint64_t iterations) {
  ScenarioConfig sc;
  sc.executor = ExecutorKind::shared_iterations;
  sc.vus = vus;
  sc.iterations = iterations;
  sc.duration = 10 * kMinute;
  return sc;
}

ScenarioConfig per_vu(int vus, std::uint64_t iterations) {
  ScenarioConfig sc = shared(vus, iterations);
  sc.executor = ExecutorKind::per_vu_iterations;
  return sc;
}

ScenarioConfig constant_vus(int vus, Nanos duration) {
  ScenarioConfig sc;
  sc.executor = ExecutorKind::constant_vus;
  sc.vus = vus;
  sc.duration = duration;
  return sc;
}

ScenarioConfig ramping_vus(int start_vus, std::vector<Stage> stages) {
  ScenarioConfig sc;
  sc.executor = ExecutorKind::ramping_vus;
  sc.start_vus = start_vus;
  sc.stages = std::move(stages);
  return sc;
}

ScenarioConfig constant_rate(std::int64_t rate, Nanos duration, int pre_allocated, int max_vus) {
  ScenarioConfig sc;
  sc.executor = ExecutorKind::constant_arrival_rate;
  sc.rate = rate;
  sc.duration = duration;
  sc.pre_allocated_vus = pre_allocated;
  sc.max_vus = max_vus;
  return sc;
}

ScenarioConfig ramping_rate(std::int64_t start_rate, std::vector<Stage> stages, int pre_allocated, int max_vus) {
  ScenarioConfig sc;
  sc.executor = ExecutorKind::ramping_arrival_rate;
  sc.rate = start_rate;
  sc.stages = std::move(stages);
  sc.pre_allocated_vus = pre_allocated;
  sc.max_vus = max_vus;
  return sc;
}

TEST(ExecutorNames, RoundTripK6Names) {
  const char* names[] = {"shared-iterations",   "per-vu-iterations",     "constant-vus",
                         "ramping-vus",         "constant-arrival-rate", "ramping-arrival-rate"};
  for (const char* name : names) {
    ExecutorKind k{};
    ASSERT_TRUE(executor_from_string(name, k)) << name;
    EXPECT_STREQ(to_string(k), name);
  }
  ExecutorKind k = ExecutorKind::constant_vus;
  EXPECT_FALSE(executor_from_string("externally-controlled", k));
  EXPECT_FALSE(executor_from_string("Constant-VUs", k));
  EXPECT_FALSE(executor_from_string("", k));
  EXPECT_EQ(k, ExecutorKind::constant_vus);
}

TEST(Validate, CommonOptions) {
  ScenarioConfig sc = constant_vus(1, kSecond);
  EXPECT_EQ(error_of(sc), "");
  sc.name = "fast-lane_2";
  EXPECT_EQ(error_of(sc), "");
  sc.name = "fast lane";
  EXPECT_EQ(error_of(sc),
            "the scenario name \"fast lane\" should contain only numbers, latin letters, underscores, and dashes");
  sc.name = "";
  EXPECT_NE(error_of(sc), "");
  sc.name = "x";
  sc.start_time = -1;
  EXPECT_EQ(error_of(sc), "the startTime can't be negative");
  sc.start_time = 0;
  sc.graceful_stop = -1;
  EXPECT_EQ(error_of(sc), "the gracefulStop timeout can't be negative");
  sc.graceful_stop = 0;
  EXPECT_EQ(error_of(sc), "");
}

TEST(Validate, SharedIterations) {
  EXPECT_EQ(error_of(shared(5, 5)), "");
  EXPECT_EQ(error_of(shared(0, 5)), "the number of VUs must be more than 0");
  EXPECT_EQ(error_of(shared(5, 4)), "the number of iterations (4) can't be less than the number of VUs (5)");
  ScenarioConfig sc = shared(1, 1);
  sc.duration = 999 * kMs;
  EXPECT_EQ(error_of(sc), "the maxDuration (999ms) must be at least 1s");
  sc.duration = kSecond;
  EXPECT_EQ(error_of(sc), "");
}

TEST(Validate, PerVuIterations) {
  EXPECT_EQ(error_of(per_vu(3, 1)), "");
  EXPECT_EQ(error_of(per_vu(-1, 1)), "the number of VUs must be more than 0");
  EXPECT_EQ(error_of(per_vu(3, 0)), "the number of iterations must be more than 0");
  ScenarioConfig sc = per_vu(1, 1);
  sc.duration = 0;
  EXPECT_EQ(error_of(sc), "the maxDuration (0s) must be at least 1s");
}

TEST(Validate, ConstantVus) {
  EXPECT_EQ(error_of(constant_vus(1, kSecond)), "");
  EXPECT_EQ(error_of(constant_vus(0, kSecond)), "the number of VUs must be more than 0");
  EXPECT_EQ(error_of(constant_vus(1, 500 * kMs)), "the duration (500ms) must be at least 1s");
}

TEST(Validate, RampingVus) {
  EXPECT_EQ(error_of(ramping_vus(0, {{10 * kSecond, 1}})), "");
  EXPECT_EQ(error_of(ramping_vus(1, {{0, 0}})), "");
  EXPECT_EQ(error_of(ramping_vus(1, {})), "stages: at least one stage has to be specified");
  EXPECT_EQ(error_of(ramping_vus(-1, {{kSecond, 1}})), "startVUs can't be negative");
  EXPECT_EQ(error_of(ramping_vus(1, {{kSecond, 1}, {-1, 1}})), "stages[1].duration can't be negative");
  EXPECT_EQ(error_of(ramping_vus(1, {{kSecond, -1}})), "stages[0].target can't be negative");
  EXPECT_EQ(error_of(ramping_vus(1, {{kSecond, 100'000'000}})), "");
  EXPECT_EQ(error_of(ramping_vus(1, {{kSecond, 100'000'001}})),
            "stages[0].target (100000001) can't be more than 100000000");
  EXPECT_EQ(error_of(ramping_vus(0, {{kSecond, 0}, {kSecond, 0}})),
            "either startVUs or one of the stages' target values must be greater than 0");
}

TEST(Validate, ConstantArrivalRate) {
  EXPECT_EQ(error_of(constant_rate(10, kSecond, 0, -1)), "");
  EXPECT_EQ(error_of(constant_rate(10, kSecond, 5, 5)), "");
  EXPECT_EQ(error_of(constant_rate(0, kSecond, 1, -1)), "rate must be more than 0");
  EXPECT_EQ(error_of(constant_rate(1, 999 * kMs, 1, -1)), "the duration (999ms) must be at least 1s");
  EXPECT_EQ(error_of(constant_rate(1, kSecond, -1, -1)), "preAllocatedVUs can't be negative");
  EXPECT_EQ(error_of(constant_rate(1, kSecond, 5, 3)), "maxVUs (3) can't be less than preAllocatedVUs (5)");
  ScenarioConfig sc = constant_rate(1, kSecond, 1, -1);
  sc.time_unit = 0;
  EXPECT_EQ(error_of(sc), "timeUnit must be more than 0");
}

TEST(Validate, RampingArrivalRate) {
  EXPECT_EQ(error_of(ramping_rate(0, {{kSecond, 0}}, 0, -1)), "");
  EXPECT_EQ(error_of(ramping_rate(0, {}, 1, -1)), "stages: at least one stage has to be specified");
  EXPECT_EQ(error_of(ramping_rate(-1, {{kSecond, 1}}, 1, -1)), "startRate can't be negative");
  EXPECT_EQ(error_of(ramping_rate(0, {{kSecond, -2}}, 1, -1)), "stages[0].target can't be negative");
  EXPECT_EQ(error_of(ramping_rate(0, {{kSecond, 1}}, -1, -1)), "preAllocatedVUs can't be negative");
  EXPECT_EQ(error_of(ramping_rate(0, {{kSecond, 1}}, 2, 1)), "maxVUs (1) can't be less than preAllocatedVUs (2)");
  ScenarioConfig sc = ramping_rate(0, {{kSecond, 1}}, 1, -1);
  sc.time_unit = 0;
  EXPECT_EQ(error_of(sc), "timeUnit must be more than 0");
}

TEST(Describe, IterationExecutors) {
  EXPECT_EQ(shared(5, 100000).describe(), "100000 iterations shared among 5 VUs (maxDuration: 10m0s, gracefulStop: 30s)");
  ScenarioConfig sc = per_vu(10, 20);
  sc.duration = 120 * kMinute;
  EXPECT_EQ(sc.describe(), "20 iterations for each of 10 VUs (maxDuration: 2h0m0s, gracefulStop: 30s)");
}

TEST(Describe, ConstantVus) {
  EXPECT_EQ(constant_vus(10, 30 * kSecond).describe(), "10 looping VUs for 30s (gracefulStop: 30s)");
  ScenarioConfig sc = constant_vus(1, 90 * kSecond);
  sc.graceful_stop = 0;
  EXPECT_EQ(sc.describe(), "1 looping VUs for 1m30s");
}

TEST(Describe, StartTimeAndGracefulStopFollowTheExecutorFacts) {
  // k6's getBaseInfo: startTime and gracefulStop appear only when they are more than 0.
  ScenarioConfig sc = constant_vus(2, 30 * kSecond);
  sc.start_time = 90 * kSecond;
  EXPECT_EQ(sc.describe(), "2 looping VUs for 30s (startTime: 1m30s, gracefulStop: 30s)");
  sc = shared(1, 1);
  sc.graceful_stop = 0;
  sc.start_time = 5 * kSecond;
  EXPECT_EQ(sc.describe(), "1 iterations shared among 1 VUs (maxDuration: 10m0s, startTime: 5s)");
}

TEST(Describe, RampingVus) {
  const ScenarioConfig sc = ramping_vus(0, {{10 * kSecond, 100}, {60 * kSecond, 100}, {10 * kSecond, 0}});
  EXPECT_EQ(sc.describe(), "Up to 100 looping VUs for 1m20s over 3 stages (gracefulRampDown: 30s, gracefulStop: 30s)");
  EXPECT_EQ(ramping_vus(7, {{kSecond, 2}}).describe(),
            "Up to 7 looping VUs for 1s over 1 stages (gracefulRampDown: 30s, gracefulStop: 30s)");
}

TEST(Describe, ConstantArrivalRate) {
  EXPECT_EQ(constant_rate(10, 30 * kSecond, 1, 1000).describe(),
            "10.00 iterations/s for 30s (maxVUs: 1-1000, gracefulStop: 30s)");
  EXPECT_EQ(constant_rate(10, 30 * kSecond, 50, -1).describe(), "10.00 iterations/s for 30s (maxVUs: 50, gracefulStop: 30s)");
  EXPECT_EQ(constant_rate(10, 30 * kSecond, 50, 50).describe(), "10.00 iterations/s for 30s (maxVUs: 50, gracefulStop: 30s)");
  ScenarioConfig sc = constant_rate(1, 30 * kSecond, 1, -1);
  sc.time_unit = kMinute;
  EXPECT_EQ(sc.describe(), "0.02 iterations/s for 30s (maxVUs: 1, gracefulStop: 30s)");
  sc.rate = 3;
  sc.time_unit = 200 * kMs;
  EXPECT_EQ(sc.describe(), "15.00 iterations/s for 30s (maxVUs: 1, gracefulStop: 30s)");
}

TEST(Describe, RampingArrivalRate) {
  const ScenarioConfig sc = ramping_rate(
      50, {{2 * kMinute, 600}, {4 * kMinute, 600}, {2 * kMinute, 60}, {kMinute, 0}}, 50, 1000);
  EXPECT_EQ(sc.describe(), "Up to 600.00 iterations/s for 9m0s over 4 stages (maxVUs: 50-1000, gracefulStop: 30s)");
  ScenarioConfig per_minute = ramping_rate(120, {{kMinute, 60}}, 2, -1);
  per_minute.time_unit = kMinute;
  EXPECT_EQ(per_minute.describe(), "Up to 2.00 iterations/s for 1m0s over 1 stages (maxVUs: 2, gracefulStop: 30s)");
}

TEST(RegularDuration, IsK6sR) {
  EXPECT_EQ(shared(1, 1).regular_duration(), 10 * kMinute);
  EXPECT_EQ(per_vu(1, 1).regular_duration(), 10 * kMinute);
  EXPECT_EQ(constant_vus(1, 30 * kSecond).regular_duration(), 30 * kSecond);
  EXPECT_EQ(constant_rate(1, 45 * kSecond, 1, -1).regular_duration(), 45 * kSecond);
  EXPECT_EQ(ramping_vus(1, {{10 * kSecond, 5}, {0, 1}, {20 * kSecond, 0}}).regular_duration(), 30 * kSecond);
  EXPECT_EQ(ramping_rate(1, {{kMinute, 5}, {kMinute, 0}}, 1, -1).regular_duration(), 2 * kMinute);
  EXPECT_EQ(ramping_vus(1, {{runtime::kNever, 1}, {kSecond, 1}}).regular_duration(), runtime::kNever);
}

TEST(PeakVus, PerExecutor) {
  EXPECT_EQ(shared(4, 10).peak_vus(), 4);
  EXPECT_EQ(per_vu(6, 10).peak_vus(), 6);
  EXPECT_EQ(constant_vus(9, kSecond).peak_vus(), 9);
  EXPECT_EQ(ramping_vus(3, {{kSecond, 8}, {kSecond, 2}}).peak_vus(), 8);
  EXPECT_EQ(ramping_vus(12, {{kSecond, 8}}).peak_vus(), 12);
  EXPECT_EQ(constant_rate(1, kSecond, 5, -1).peak_vus(), 5);
  EXPECT_EQ(constant_rate(1, kSecond, 5, 20).peak_vus(), 20);
  EXPECT_EQ(ramping_rate(1, {{kSecond, 1}}, 3, 7).peak_vus(), 7);
}

}  // namespace
}  // namespace inferload::load
