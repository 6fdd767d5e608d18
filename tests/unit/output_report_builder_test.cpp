// The report of Kafka direct mode's requests: kafka_reqs and its trends, the check after the
// gRPC one and in `checks`, a failure row per fate and reason, and thresholds on its metrics,
// submetrics of a scenario included.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "inferload/load/shard.hpp"
#include "inferload/output/metric_values.hpp"
#include "inferload/output/report_builder.hpp"
#include "inferload/scenario/protocol_metrics.hpp"
#include "inferload/scv2/scripts.hpp"

namespace inferload {
namespace {

using kafka::Fate;
using metrics::RequestFate;

constexpr runtime::Nanos kMs = 1'000'000;

// A worker's two shards: the run's counts and the protocols' metrics.
struct Shards {
  load::Shard run;
  scenario::ProtocolShard protocols;

  // One Kafka request with an outcome, as the scenario layer counts it: `produce` -1 when it got
  // no delivery report, `intended` -1 outside a scheduled iteration.
  void kafka(Fate fate, runtime::Nanos duration, runtime::Nanos produce, std::string_view reason = {},
             runtime::Nanos intended = -1) {
    scenario::KafkaMetrics& k = protocols.kafka;
    ++k.reqs;
    ++k.by_fate[static_cast<std::size_t>(fate)];
    k.req_duration.record(duration);
    if (produce >= 0) k.produce_duration.record(produce);
    if (intended >= 0) k.req_duration_intended.record(intended);
    if (fate == Fate::reply) {
      ++k.checks_passed;
      run.record_request(RequestFate::ok, duration);
      return;
    }
    ++k.checks_failed;
    k.failures.record(fate, reason);
    run.record_request(fate == Fate::timed_out ? RequestFate::timed_out : RequestFate::failed, duration);
  }
};

const metrics::MetricSummary* find(const output::RunReport& r, const std::string& name) {
  for (const auto& m : r.metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

output::RunReport report(const std::vector<std::pair<const load::ScenarioConfig*, Shards*>>& parts,
                         const std::vector<scv2::ThresholdDecl>& thresholds = {}) {
  load::RunResult result;
  result.totals = std::make_unique<load::Shard>();
  std::vector<output::ScenarioMeasures> measures;
  for (const auto& [config, s] : parts) {
    result.totals->merge(s->run);
    measures.push_back({config, &s->run, &s->protocols, 0});
  }
  result.test_run_duration = 10'000 * kMs;
  const scv2::Script& script = scv2::find_script("infer_constant_vu");
  return output::build_report(result, measures, thresholds, script, output::RunInfo{});
}

// Six requests: three replies, an error record twice with the same reason, a refused produce, a
// timeout; and one gRPC call, whose check comes before Kafka's.
void mixed(Shards& s) {
  s.kafka(Fate::reply, 2 * kMs, kMs / 2);
  s.kafka(Fate::reply, 3 * kMs, kMs / 2);
  s.kafka(Fate::reply, 4 * kMs, kMs);
  s.kafka(Fate::error_topic, 5 * kMs, kMs, "model not found");
  s.kafka(Fate::error_topic, 6 * kMs, kMs, "model not found");
  s.kafka(Fate::produce_failed, 7 * kMs, -1, "Local: Unknown topic");
  s.kafka(Fate::timed_out, 1000 * kMs, kMs);
  grpc::CallResult call;
  call.status = grpc::StatusCode::ok;
  call.messages = 1;
  call.started_at = kMs;
  call.ended_at = 3 * kMs;
  scenario::record_grpc(s.protocols, s.run, call);
}

TEST(KafkaReport, MetricsCheckAndChecksRate) {
  Shards s;
  mixed(s);
  const load::ScenarioConfig scenario;
  const output::RunReport r = report({{&scenario, &s}});

  const metrics::MetricSummary* reqs = find(r, "kafka_reqs");
  ASSERT_NE(reqs, nullptr);
  EXPECT_EQ(reqs->type, metrics::MetricType::counter);
  EXPECT_EQ(reqs->count, 7);
  const metrics::MetricSummary* duration = find(r, "kafka_req_duration");
  ASSERT_NE(duration, nullptr);
  EXPECT_EQ(duration->type, metrics::MetricType::trend);
  EXPECT_EQ(duration->contains, metrics::ValueKind::time);
  EXPECT_EQ(duration->trend->count(), 7u);
  EXPECT_EQ(duration->trend->min(), 2 * kMs);
  EXPECT_EQ(duration->trend->max(), s.protocols.kafka.req_duration.max());
  const metrics::MetricSummary* produce = find(r, "kafka_produce_duration");
  ASSERT_NE(produce, nullptr);
  EXPECT_EQ(produce->trend->count(), 6u);  // the refused produce had no delivery report
  EXPECT_EQ(produce->trend->min(), kMs / 2);
  // No scheduled iteration: no intended trend, as for HTTP and gRPC.
  EXPECT_EQ(find(r, "kafka_req_duration_intended"), nullptr);

  ASSERT_EQ(r.checks.size(), 2u);
  EXPECT_EQ(r.checks[0].name, "model grpc prediction success");
  EXPECT_EQ(r.checks[1].name, "model kafka prediction success");
  EXPECT_EQ(r.checks[1].passes, 3u);
  EXPECT_EQ(r.checks[1].fails, 4u);
  const metrics::MetricSummary* checks = find(r, "checks");
  ASSERT_NE(checks, nullptr);
  EXPECT_EQ(checks->nonzero, 3u + 1);
  EXPECT_EQ(checks->zero, 4u);
}

TEST(KafkaReport, ScheduledIterationsHaveTheIntendedTrend) {
  Shards s;
  s.kafka(Fate::reply, 2 * kMs, kMs, {}, 9 * kMs);
  s.kafka(Fate::timed_out, 500 * kMs, -1, {}, 700 * kMs);
  const load::ScenarioConfig scenario;
  const output::RunReport r = report({{&scenario, &s}});
  const metrics::MetricSummary* intended = find(r, "kafka_req_duration_intended");
  ASSERT_NE(intended, nullptr);
  EXPECT_EQ(intended->trend->count(), 2u);
  EXPECT_EQ(intended->trend->min(), 9 * kMs);
  EXPECT_EQ(find(r, "kafka_produce_duration")->trend->count(), 1u);
}

TEST(KafkaReport, NoKafkaMetricsWithoutKafkaRequests) {
  Shards s;
  grpc::CallResult call;
  call.status = grpc::StatusCode::ok;
  call.messages = 1;
  scenario::record_grpc(s.protocols, s.run, call);
  const load::ScenarioConfig scenario;
  const output::RunReport r = report({{&scenario, &s}});
  for (const auto& m : r.metrics) EXPECT_NE(m.name.rfind("kafka_", 0), 0u) << m.name;
  for (const auto& c : r.checks) EXPECT_NE(c.name, "model kafka prediction success");
}

TEST(KafkaReport, EveryFailedRequestIsInAFailureRowWithItsReason) {
  Shards s;
  mixed(s);
  // Past the distinct reasons a run keeps, the rest of a fate's failures share one row.
  for (std::size_t i = 0; i < scenario::KafkaFailures::kMaxReasons + 2; ++i) {
    s.kafka(Fate::error_topic, 5 * kMs, kMs, "reason " + std::to_string(i));
  }
  const load::ScenarioConfig scenario;
  const output::RunReport r = report({{&scenario, &s}});
  auto count_of = [&](const std::string& text) -> std::uint64_t {
    for (const auto& f : r.info.failures) {
      if (f.error == text) {
        EXPECT_EQ(f.error_code, 0) << text;
        EXPECT_EQ(f.status, 0) << text;
        return f.count;
      }
    }
    ADD_FAILURE() << "no failure row '" << text << "'";
    return 0;
  };
  EXPECT_EQ(count_of("kafka error topic: model not found"), 2u);
  EXPECT_EQ(count_of("kafka produce failed: Local: Unknown topic"), 1u);
  EXPECT_EQ(count_of("kafka timeout: no reply before the deadline"), 1u);
  EXPECT_EQ(count_of("kafka error topic: reason 0"), 1u);
  // With mixed()'s two reasons, reasons 0 to 13 make the 16 kept: 14 to 17 are not.
  EXPECT_EQ(count_of("kafka error topic: reason 13"), 1u);
  EXPECT_EQ(count_of("kafka error topic: (no reason kept)"), 4u);
  // Most frequent first, and every failed or timed-out request counted once.
  EXPECT_EQ(r.info.failures.front().error, "kafka error topic: (no reason kept)");
  std::uint64_t sum = 0;
  for (const auto& f : r.info.failures) sum += f.count;
  EXPECT_EQ(sum, r.info.requests.failed + r.info.requests.timed_out);
  EXPECT_EQ(r.info.requests.timed_out, 1u);
  EXPECT_EQ(r.info.requests.ok, 3u + 1);
}

TEST(KafkaReport, ThresholdsOnKafkaMetricsParseAndEvaluate) {
  EXPECT_NO_THROW(output::check_threshold({"kafka_req_duration", {"p(95)<500"}}));
  EXPECT_NO_THROW(output::check_threshold({"kafka_produce_duration{scenario:a}", {"max<100"}}));
  EXPECT_NO_THROW(output::check_threshold({"kafka_req_duration_intended", {"avg<1000"}}));
  EXPECT_NO_THROW(output::check_threshold({"kafka_reqs", {"count>10", "rate>1"}}));
  // A counter has no percentiles: the expression is checked against the metric's type.
  EXPECT_THROW(output::check_threshold({"kafka_reqs", {"p(95)<500"}}), std::invalid_argument);
  EXPECT_THROW(output::check_threshold({"kafka_request_duration", {"p(95)<500"}}), std::invalid_argument);

  load::ScenarioConfig a, b;
  a.name = "a";
  b.name = "b";
  Shards sa;
  mixed(sa);  // one request of 1 s
  Shards sb;
  sb.kafka(Fate::reply, 20 * kMs, kMs);
  sb.kafka(Fate::reply, 30 * kMs, 2 * kMs);
  const output::RunReport r =
      report({{&a, &sa}, {&b, &sb}},
             {{"kafka_req_duration", {"p(95)<500", "max>=1000"}},
              {"kafka_req_duration{scenario:b}", {"p(95)<500", "min>=20"}},
              {"kafka_reqs{scenario:b}", {"count==2"}},
              {"kafka_produce_duration{scenario:b}", {"max<=2"}},
              {"kafka_req_duration_intended{scenario:a}", {"max<1"}}});
  auto results = [&](const std::string& name) {
    std::vector<bool> failed;
    const metrics::MetricSummary* m = find(r, name);
    if (m == nullptr) {
      ADD_FAILURE() << "no metric " << name;
      return failed;
    }
    EXPECT_TRUE(m->has_thresholds) << name;
    for (const auto& t : m->thresholds) failed.push_back(t.failed);
    return failed;
  };
  EXPECT_EQ(results("kafka_req_duration"), (std::vector<bool>{true, false}));
  EXPECT_EQ(results("kafka_req_duration{scenario:b}"), (std::vector<bool>{false, false}));
  EXPECT_EQ(results("kafka_reqs{scenario:b}"), (std::vector<bool>{false}));
  EXPECT_EQ(results("kafka_produce_duration{scenario:b}"), (std::vector<bool>{false}));
  // No scheduled iteration: an empty trend, which k6 still reports, typed as a trend.
  const metrics::MetricSummary* intended = find(r, "kafka_req_duration_intended{scenario:a}");
  ASSERT_NE(intended, nullptr);
  EXPECT_EQ(intended->type, metrics::MetricType::trend);
  EXPECT_EQ(intended->contains, metrics::ValueKind::time);
  EXPECT_EQ(find(r, "kafka_reqs{scenario:b}")->count, 2);
  const metrics::MetricSummary* parent = find(r, "kafka_req_duration_intended");
  ASSERT_NE(parent, nullptr);
  EXPECT_TRUE(output::is_reported(*parent));
}

}  // namespace
}  // namespace inferload
