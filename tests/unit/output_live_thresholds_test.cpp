// abortOnFail's live evaluation: aggregates of the watched (sub)metrics from the sample rows,
// checked every 2 s once delayAbortEval has passed, the abort called once with the names crossed.
#include <gtest/gtest.h>

#include "inferload/output/live_thresholds.hpp"

namespace inferload::output {
namespace {

using metrics::SampleKind;
using metrics::SampleRecord;
constexpr Nanos kSec = 1'000'000'000;
constexpr Nanos kStart = 1'700'000'000 * kSec;

struct Fixture {
  explicit Fixture(std::vector<AbortRule> rules)
      : expander([] {
          SampleContext c;
          c.scenarios = {{"default", {}}, {"other", {}}};
          c.rest_url = [](std::uint32_t, std::uint32_t) { return std::string("http://h/v2/models/m/infer"); };
          return c;
        }()),
        live(rules, kStart, [this](const std::string& names) {
          ++aborts;
          crossed = names;
        }) {
    sinks.push_back(&live);
  }
  void request(Nanos duration_ns, int status, std::uint8_t scenario = 0) {
    SampleRecord r;
    r.kind = SampleKind::http;
    r.duration = duration_ns;
    r.status = static_cast<std::uint16_t>(status);
    r.scenario = scenario;
    expander.expand(r, sinks);
  }
  SampleExpander expander;
  LiveThresholds live;
  std::vector<SampleSink*> sinks;
  int aborts = 0;
  std::string crossed;
};

TEST(LiveThresholds, AbortsAtTheFirstCheckAfterATrendCrossesItsThreshold) {
  Fixture f({{"http_req_duration{scenario:default}", "p(95)<10", 0}});
  for (int i = 0; i < 100; ++i) f.request(2'000'000, 200);  // 2 ms
  f.live.tick(kStart + 2 * kSec);
  EXPECT_EQ(f.aborts, 0) << "p(95) = 2 ms holds";
  for (int i = 0; i < 100; ++i) f.request(50'000'000, 200);  // 50 ms: p(95) now above 10 ms
  f.request(50'000'000, 200, 1);
  f.live.tick(kStart + 3 * kSec);
  EXPECT_EQ(f.aborts, 0) << "checked every 2 s, not at every tick";
  f.live.tick(kStart + 4 * kSec);
  EXPECT_EQ(f.aborts, 1);
  EXPECT_EQ(f.crossed, "http_req_duration{scenario:default}");
  f.live.tick(kStart + 6 * kSec);
  EXPECT_EQ(f.aborts, 1) << "once";
}

TEST(LiveThresholds, TheSelectorKeepsOtherScenariosOut) {
  Fixture f({{"http_req_duration{scenario:default}", "max<10", 0}});
  for (int i = 0; i < 10; ++i) f.request(50'000'000, 200, 1);
  f.request(1'000'000, 200, 0);
  f.live.tick(kStart + 2 * kSec);
  EXPECT_EQ(f.aborts, 0);
}

TEST(LiveThresholds, DelayAbortEvalHoldsTheAbortBack) {
  Fixture f({{"http_req_failed", "rate<0.1", 10 * kSec}});
  for (int i = 0; i < 10; ++i) f.request(1'000'000, i % 2 ? 200 : 503);  // half failed
  f.live.tick(kStart + 2 * kSec);
  f.live.tick(kStart + 8 * kSec);
  EXPECT_EQ(f.aborts, 0);
  f.live.tick(kStart + 10 * kSec);
  EXPECT_EQ(f.aborts, 1);
  EXPECT_EQ(f.crossed, "http_req_failed");
}

// Kafka's rows feed abortOnFail like any protocol's: its latency in one scenario, its count.
TEST(LiveThresholds, KafkaMetricsAbortToo) {
  Fixture f({{"kafka_req_duration{scenario:other}", "p(95)<100", 0}, {"kafka_reqs", "count<5", 0}});
  SampleRecord r;
  r.kind = SampleKind::kafka;
  r.duration = 500'000'000;  // 500 ms, in the scenario the selector leaves out
  r.sending = 1'000'000;
  for (int i = 0; i < 3; ++i) f.expander.expand(r, f.sinks);
  f.live.tick(kStart + 2 * kSec);
  EXPECT_EQ(f.aborts, 0);
  r.scenario = 1;
  for (int i = 0; i < 3; ++i) f.expander.expand(r, f.sinks);
  f.live.tick(kStart + 4 * kSec);
  EXPECT_EQ(f.aborts, 1);
  EXPECT_EQ(f.crossed, "kafka_req_duration{scenario:other}, kafka_reqs");
}

TEST(LiveThresholds, AMetricWithoutSamplesIsNotEvaluated) {
  Fixture f({{"grpc_req_duration", "avg>100", 0}});
  f.request(1'000'000, 200);
  f.live.tick(kStart + 2 * kSec);
  EXPECT_EQ(f.aborts, 0);
}

TEST(LiveThresholds, CountersCompareTheirCountAndRate) {
  Fixture f({{"http_reqs", "count<5", 0}, {"iterations", "count<1000", 0}});
  for (int i = 0; i < 6; ++i) f.request(1'000'000, 200);
  f.live.tick(kStart + 2 * kSec);
  EXPECT_EQ(f.aborts, 1);
  EXPECT_EQ(f.crossed, "http_reqs");
}

TEST(LiveThresholds, RefusesAMetricTheRowsNeverCarry) {
  EXPECT_THROW(LiveThresholds({{"group_duration", "p(95)<1", 0}}, 0, [](const std::string&) {}),
               std::invalid_argument);
  // The lifecycle scripts' scheduler calls have rows of their own.
  EXPECT_NO_THROW(LiveThresholds({{"scheduler_req_duration", "p(95)<1", 0}}, 0, [](const std::string&) {}));
  EXPECT_THROW(LiveThresholds({{"http_reqs", "p(95)<1", 0}}, 0, [](const std::string&) {}), std::invalid_argument);
}

}  // namespace
}  // namespace inferload::output
