// `inferload merge` on reports: the merge of the parts of a sample set is the report of the whole
// set (histograms bit for bit, counts, checks, request fates, failure kinds), rates divide by the
// union of the time spans, thresholds are evaluated on the merged metrics, and reports of
// different tests are refused naming both files.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "inferload/metrics/histogram.hpp"
#include "inferload/output/metric_values.hpp"
#include "inferload/output/report_merge.hpp"

namespace inferload::output {
namespace {

using metrics::Histogram;
using metrics::MetricSummary;
using metrics::MetricType;
using metrics::ValueKind;

constexpr std::int64_t kSecond = 1'000'000'000;

const MetricSummary& metric(const RunReport& r, const std::string& name) {
  for (const auto& m : r.metrics) {
    if (m.name == name) return m;
  }
  throw std::runtime_error("no metric " + name);
}

MetricSummary with_thresholds(MetricSummary m, std::vector<std::string> expressions) {
  m.has_thresholds = true;
  for (auto& e : expressions) m.thresholds.push_back({std::move(e), false});
  return m;
}

ScenarioShape shared_iterations() {
  return {"default", "shared-iterations", {{"startTime", "0s"}, {"gracefulStop", "30s"}, {"maxDuration", "10m0s"}}, {}};
}

// A part of a test: its share of the latencies, iterations and checks, run from start_s for duration_s.
RunReport part(const std::vector<std::int64_t>& latencies, std::uint64_t failed, std::int64_t start_s,
               std::int64_t duration_s) {
  RunReport r;
  auto h = std::make_shared<Histogram>();
  for (auto v : latencies) h->record(v);
  const auto n = latencies.size();
  r.metrics.push_back(metrics::counter_metric("http_reqs", static_cast<double>(n)));
  r.metrics.push_back(metrics::counter_metric("data_sent", static_cast<double>(n * 100), ValueKind::data));
  r.metrics.push_back(with_thresholds(metrics::rate_metric("http_req_failed", failed, n - failed), {"rate<0.1"}));
  r.metrics.push_back(with_thresholds(metrics::trend_metric("http_req_duration", ValueKind::time, h), {"p(95)<1000"}));
  r.metrics.push_back(with_thresholds(metrics::trend_metric("http_req_duration{scenario:default}", ValueKind::time, h), {}));
  r.metrics.push_back(with_thresholds(metrics::counter_metric("iterations", static_cast<double>(n)), {"count>150", "count<350"}));
  r.metrics.push_back(metrics::gauge_metric("vus_max", 2, 2, 2));
  r.checks = {{"model http prediction success", n - failed, failed}};
  r.test_run_spans = {{start_s * kSecond, (start_s + duration_s) * kSecond}};
  r.test_run_duration_s = static_cast<double>(duration_s);
  r.info.script = "infer_constant_vu";
  r.info.scenarios = {shared_iterations()};
  r.info.io_backend = "io_uring";
  r.info.workers = 2;
  r.info.driver_cpu_seconds = 0.5;
  r.info.requests = {n, n - failed, failed, 0, 0};
  if (failed > 0) r.info.failures = {{1503, 503, "status 503", failed}};
  return r;
}

std::vector<std::int64_t> latencies(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> d(std::log(2e6), 0.8);
  std::vector<std::int64_t> out(n);
  for (auto& v : out) v = static_cast<std::int64_t>(d(rng));
  return out;
}

TEST(ReportMerge, PartsAddUpToTheWhole) {
  const auto a = latencies(300, 1), b = latencies(100, 2), c = latencies(200, 3);
  const std::vector<MergeInput> inputs = {{"a.json", part(a, 0, 100, 10)},
                                          {"b.json", part(b, 20, 105, 10)},
                                          {"c.json", part(c, 0, 200, 5)}};
  const RunReport r = merge_reports(inputs);

  Histogram all;
  for (const auto* set : {&a, &b, &c}) {
    for (auto v : *set) all.record(v);
  }
  EXPECT_TRUE(*metric(r, "http_req_duration").trend == all);
  EXPECT_TRUE(*metric(r, "http_req_duration{scenario:default}").trend == all);
  EXPECT_EQ(metric(r, "http_req_duration").trend->percentile(95), all.percentile(95));
  EXPECT_EQ(metric(r, "http_reqs").count, 600);
  EXPECT_EQ(metric(r, "data_sent").count, 60000);
  EXPECT_EQ(metric(r, "http_req_failed").nonzero, 20u);
  EXPECT_EQ(metric(r, "http_req_failed").zero, 580u);
  EXPECT_EQ(metric(r, "vus_max").max, 6);
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_EQ(r.checks[0].passes, 580u);
  EXPECT_EQ(r.checks[0].fails, 20u);

  // [100, 115) ∪ [200, 205): 20 s, over which every counter's rate is taken.
  const std::vector<TimeSpan> spans = {{100 * kSecond, 115 * kSecond}, {200 * kSecond, 205 * kSecond}};
  EXPECT_EQ(r.test_run_spans, spans);
  EXPECT_EQ(r.test_run_duration_s, 20);
  EXPECT_EQ(counter_rate(metric(r, "http_reqs"), r.test_run_duration_s), 30);

  EXPECT_EQ(r.info.requests.issued, 600u);
  EXPECT_EQ(r.info.requests.failed, 20u);
  ASSERT_EQ(r.info.failures.size(), 1u);
  EXPECT_EQ(r.info.failures[0].count, 20u);
  EXPECT_EQ(r.info.workers, 6);
  EXPECT_EQ(r.info.io_backend, "io_uring");
  EXPECT_EQ(r.info.merged_from, (std::vector<std::string>{"a.json", "b.json", "c.json"}));
}

TEST(ReportMerge, ThresholdsAreEvaluatedOnTheMergedMetrics) {
  // Alone, b has 20 % failed requests and 100 iterations: two thresholds fail; c passes all.
  // Together, 20 of 600 failed (3.3 %) and 600 iterations: only count<350 fails. (Parts that run
  // together never start and end at the same nanosecond: a second apart here.)
  const std::vector<MergeInput> inputs = {{"a.json", part(latencies(300, 1), 0, 0, 10)},
                                          {"b.json", part(latencies(100, 2), 20, 1, 10)},
                                          {"c.json", part(latencies(200, 3), 0, 2, 10)}};
  const RunReport r = merge_reports(inputs);
  EXPECT_FALSE(metric(r, "http_req_failed").thresholds[0].failed);
  const auto& iterations = metric(r, "iterations").thresholds;
  EXPECT_FALSE(iterations[0].failed);  // count>150
  EXPECT_TRUE(iterations[1].failed);   // count<350

  const RunReport two = merge_reports({inputs[1], inputs[2]});  // 300 iterations, 20 of 300 failed
  EXPECT_FALSE(metric(two, "iterations").thresholds[0].failed);
  EXPECT_FALSE(metric(two, "iterations").thresholds[1].failed);
  EXPECT_FALSE(metric(two, "http_req_failed").thresholds[0].failed);
  // A merged report merges again into the same numbers, and names every original file.
  const RunReport again = merge_reports({{"ab.json", merge_reports({inputs[0], inputs[1]})}, inputs[2]});
  EXPECT_TRUE(*metric(again, "http_req_duration").trend == *metric(r, "http_req_duration").trend);
  EXPECT_EQ(again.info.merged_from, r.info.merged_from);
}

void expect_refused(MergeInput b, const std::string& why) {
  const MergeInput a{"a.json", part(latencies(10, 1), 0, 0, 1)};
  b.file = "b.json";
  try {
    merge_reports({a, b});
    ADD_FAILURE() << "merged: " << why;
  } catch (const MergeMismatch& e) {
    EXPECT_EQ(std::string(e.what()), "a.json and b.json are not parts of one test: " + why);
  }
}

TEST(ReportMerge, PartsOfDifferentTestsAreRefused) {
  auto other = [] { return MergeInput{"", part(latencies(10, 2), 0, 2, 1)}; };
  MergeInput script = other();
  script.report.info.script = "infer_constant_rate";
  expect_refused(script, "script 'infer_constant_vu' vs 'infer_constant_rate'");

  MergeInput executor = other();
  executor.report.info.scenarios[0].executor = "constant-vus";
  expect_refused(executor, "scenario 'default': executor shared-iterations vs constant-vus");

  MergeInput option = other();
  option.report.info.scenarios[0].options[2].second = "20s";
  expect_refused(option, "scenario 'default': maxDuration 10m0s vs 20s");

  MergeInput scenarios = other();
  scenarios.report.info.scenarios.push_back(shared_iterations());
  scenarios.report.info.scenarios.back().name = "second";
  expect_refused(scenarios, "scenarios 'default' vs 'default', 'second'");

  MergeInput threshold = other();
  for (auto& m : threshold.report.metrics) {
    if (m.name == "iterations") m.thresholds[1].expression = "count<400";
  }
  expect_refused(threshold, "thresholds on iterations: 'count>150', 'count<350' vs 'count>150', 'count<400'");

  MergeInput type = other();
  for (auto& m : type.report.metrics) {
    if (m.name == "data_sent") m.contains = ValueKind::plain;
  }
  expect_refused(type, "metric data_sent is a counter of data vs a counter of default");

  auto settings = [](const char* endpoint, bool load) {
    return scv2::ConfigValue::object({{"inferHttpEndpoint", scv2::ConfigValue::of(std::string(endpoint))},
                                      {"loadModel", scv2::ConfigValue::of(load)}});
  };
  MergeInput endpoint = other();
  endpoint.report.info.setup_data = settings("http://b", true);
  MergeInput a{"a.json", part(latencies(10, 1), 0, 0, 1)};
  a.report.info.setup_data = settings("http://a", true);
  endpoint.file = "b.json";
  EXPECT_THROW(merge_reports({a, endpoint}), MergeMismatch);
  // Only the first part of a distributed test loads the models: that is no other test.
  MergeInput segment = other();
  segment.report.info.setup_data = settings("http://a", false);
  EXPECT_NO_THROW(merge_reports({a, segment}));
}

TEST(ReportMerge, ARunGivenTwiceIsRefused) {
  const MergeInput a{"a.json", part(latencies(10, 1), 0, 0, 1)};
  const MergeInput b{"b.json", part(latencies(10, 2), 0, 5, 1)};
  MergeInput copy = a;
  copy.file = "copy.json";
  try {
    merge_reports({a, b, copy});
    FAIL();
  } catch (const MergeMismatch& e) {
    EXPECT_EQ(std::string(e.what()), "a.json and copy.json hold the same run: merging it twice would count it twice");
  }
  // A merged export with one of its own parts.
  MergeInput ab{"ab.json", merge_reports({a, b})};
  EXPECT_THROW(merge_reports({ab, b}), MergeMismatch);
  EXPECT_NO_THROW(merge_reports({a, b}));
}

TEST(ReportMerge, SetupOfOnePartIsKeptAndSeveralAddUp) {
  auto setup = [](std::initializer_list<std::int64_t> ready, double duration) {
    ControlPhaseInfo c;
    c.ran = true;
    c.outcome = "completed";
    c.models = c.models_done = ready.size();
    c.rpcs = 2 * ready.size();
    c.duration_s = duration;
    auto h = std::make_shared<Histogram>();
    for (auto v : ready) h->record(v);
    c.ready_p50_s = h->percentile(50) / 1e9;
    c.ready_max_s = static_cast<double>(h->max()) / 1e9;
    c.time_to_ready = h;
    return c;
  };
  MergeInput a{"a.json", part(latencies(10, 1), 0, 0, 1)};
  MergeInput b{"b.json", part(latencies(10, 2), 0, 2, 1)};
  a.report.info.setup = setup({kSecond, 3 * kSecond}, 4);
  RunReport r = merge_reports({a, b});
  EXPECT_EQ(r.info.setup.models, 2u);
  EXPECT_EQ(r.info.setup.ready_max_s, 3);
  EXPECT_FALSE(r.info.teardown.ran);

  b.report.info.setup = setup({5 * kSecond, 7 * kSecond}, 8);
  b.report.info.setup.outcome = "failed";
  b.report.info.setup.error = "model x: ScheduleFailed";
  r = merge_reports({a, b});
  EXPECT_EQ(r.info.setup.models, 4u);
  EXPECT_EQ(r.info.setup.rpcs, 8u);
  EXPECT_EQ(r.info.setup.duration_s, 8);
  EXPECT_EQ(r.info.setup.ready_max_s, 7);
  EXPECT_EQ(r.info.setup.time_to_ready->count(), 4u);
  EXPECT_EQ(r.info.setup.outcome, "failed");
  EXPECT_EQ(r.info.setup.error, "b.json: model x: ScheduleFailed");
}

// Kafka's part of parts of a test: its metrics and check add up as any others, its failure rows
// by their text, its late replies and foreign records are summed, and modes and bootstrap
// servers are each named once.
TEST(ReportMerge, KafkaAddsUpAndJoinsWhatDiffers) {
  auto kafka_part = [](const std::string& file, std::vector<std::int64_t> durations, std::uint64_t failed,
                       std::int64_t start_s, const std::string& bootstrap) {
    MergeInput in{file, part(durations, 0, start_s, 10)};
    RunReport& r = in.report;
    auto h = std::make_shared<Histogram>();
    for (auto v : durations) h->record(v);
    r.metrics.push_back(metrics::counter_metric("kafka_reqs", static_cast<double>(durations.size())));
    r.metrics.push_back(with_thresholds(metrics::trend_metric("kafka_req_duration", ValueKind::time, h), {"max<3000"}));
    r.checks.push_back({"model kafka prediction success", durations.size() - failed, failed});
    r.info.kafka = true;
    r.info.kafka_mode = "model";
    r.info.kafka_bootstrap = bootstrap;
    r.info.kafka_late_replies = failed;
    r.info.kafka_foreign_records = 10;
    if (failed > 0) r.info.failures.push_back({0, 0, "kafka error topic: model not found", failed});
    return in;
  };
  const std::vector<MergeInput> inputs = {kafka_part("a.json", {1'000'000'000, 2'000'000'000}, 1, 0, "k1:9092"),
                                          kafka_part("b.json", {4'000'000'000}, 1, 20, "k2:9092"),
                                          kafka_part("c.json", {3'000'000}, 0, 40, "k1:9092")};
  const RunReport r = merge_reports(inputs);
  EXPECT_EQ(metric(r, "kafka_reqs").count, 4);
  EXPECT_EQ(metric(r, "kafka_req_duration").trend->count(), 4u);
  EXPECT_EQ(metric(r, "kafka_req_duration").trend->max(), 4'000'000'000);
  // Each part passed max<3000 on its own but b; merged, the 4 s request fails it.
  ASSERT_EQ(metric(r, "kafka_req_duration").thresholds.size(), 1u);
  EXPECT_TRUE(metric(r, "kafka_req_duration").thresholds[0].failed);
  const auto check = std::find_if(r.checks.begin(), r.checks.end(),
                                  [](const auto& c) { return c.name == "model kafka prediction success"; });
  ASSERT_NE(check, r.checks.end());
  EXPECT_EQ(check->passes, 2u);
  EXPECT_EQ(check->fails, 2u);
  EXPECT_TRUE(r.info.kafka);
  EXPECT_EQ(r.info.kafka_mode, "model");
  EXPECT_EQ(r.info.kafka_bootstrap, "k1:9092; k2:9092");
  EXPECT_EQ(r.info.kafka_late_replies, 2u);
  EXPECT_EQ(r.info.kafka_foreign_records, 30u);
  ASSERT_EQ(r.info.failures.size(), 1u);
  EXPECT_EQ(r.info.failures[0].error, "kafka error topic: model not found");
  EXPECT_EQ(r.info.failures[0].count, 2u);

  // A part that ran without Kafka adds nothing to it; one in the other mode is named too.
  MergeInput rest{"d.json", part(latencies(5, 4), 0, 60, 10)};
  // The same test's threshold registers the metric, with no sample, as build_report does.
  rest.report.metrics.push_back(with_thresholds(
      metrics::trend_metric("kafka_req_duration", ValueKind::time, std::make_shared<Histogram>()), {"max<3000"}));
  MergeInput pipeline = kafka_part("e.json", {1'000'000}, 0, 80, "k1:9092");
  pipeline.report.info.kafka_mode = "pipeline";
  const RunReport mixed = merge_reports({inputs[0], rest, pipeline});
  EXPECT_TRUE(mixed.info.kafka);
  EXPECT_EQ(mixed.info.kafka_mode, "model, pipeline");
  EXPECT_EQ(mixed.info.kafka_bootstrap, "k1:9092");
  EXPECT_EQ(mixed.info.kafka_foreign_records, 20u);
  EXPECT_FALSE(merge_reports({{"f.json", part(latencies(5, 5), 0, 90, 10)}, {"g.json", part(latencies(5, 6), 0, 100, 10)}})
                   .info.kafka);
}

TEST(ReportMerge, SpanUnion) {
  EXPECT_EQ(span_union({{5, 9}, {0, 3}, {2, 4}, {9, 10}}), (std::vector<TimeSpan>{{0, 4}, {5, 10}}));
  EXPECT_EQ(span_length(span_union({{0, 10}, {2, 3}})), 10);
  EXPECT_TRUE(span_union({}).empty());
}

}  // namespace
}  // namespace inferload::output
