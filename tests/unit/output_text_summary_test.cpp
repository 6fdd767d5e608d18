// The text summary against k6 1.1's compact layout (k6-semantics.md 6.1). The reference example's
// counters, gauges, rates, checks and custom trend are reproduced value for value; its time
// trends use illustrative percentiles no real sample set yields, so ours come from two-sample
// trends whose values are exact and whose columns have the reference's widths.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "inferload/metrics/histogram.hpp"
#include "inferload/output/text_summary.hpp"

namespace inferload::output {
namespace {

using metrics::MetricSummary;
using metrics::MetricType;
using metrics::counter_metric;
using metrics::rate_metric;
using metrics::gauge_metric;
using metrics::ValueKind;

constexpr double kDuration = 6.8586169;  // 45 per run → "6.56109/s", 90 → "13.122179/s"

std::shared_ptr<const metrics::Histogram> histogram(const std::vector<std::int64_t>& values) {
  auto h = std::make_shared<metrics::Histogram>();
  for (auto v : values) h->record(v);
  return h;
}

MetricSummary trend(std::string name, ValueKind kind, const std::vector<std::int64_t>& values) {
  return metrics::trend_metric(std::move(name), kind, histogram(values));
}

// 45 values with avg 152.355556, med 141, p(90) 147.2, p(95) 148.8, as in the reference.
std::vector<std::int64_t> my_trend_values() {
  std::vector<std::int64_t> v(22, 120);
  v.insert(v.end(), 17, 141);
  v.insert(v.end(), {146, 148, 148, 149, 544, 684});
  return v;
}

RunReport compact_example() {
  RunReport r;
  r.test_run_duration_s = kDuration;
  const std::vector<std::int64_t> http = {119'080'000, 154'630'000};

  auto duration = trend("http_req_duration", ValueKind::time, http);
  duration.has_thresholds = true;
  duration.thresholds = {{"p(95)<1500", false}, {"p(99)<100", true}};
  r.metrics.push_back(duration);
  r.metrics.push_back(trend("http_req_duration{expected_response:true}", ValueKind::time, http));
  auto failed = rate_metric("http_req_failed", 1, 44);
  failed.has_thresholds = true;
  failed.thresholds = {{"rate<0.01", true}};
  r.metrics.push_back(failed);
  r.metrics.push_back(counter_metric("http_reqs", 45));
  r.metrics.push_back(trend("iteration_duration", ValueKind::time, {119'370'000, 684'620'000}));
  r.metrics.push_back(counter_metric("iterations", 45));
  r.metrics.push_back(gauge_metric("vus", 1, 1, 1));
  r.metrics.push_back(gauge_metric("vus_max", 1, 1, 1));
  r.metrics.push_back(counter_metric("data_received", 519000, ValueKind::data));
  r.metrics.push_back(counter_metric("data_sent", 4925, ValueKind::data));
  r.metrics.push_back(trend("grpc_req_duration", ValueKind::time, {900'000, 48'100'000}));
  r.metrics.push_back(trend("my_trend", ValueKind::plain, my_trend_values()));
  r.metrics.push_back(rate_metric("checks", 89, 1));
  // Present in every k6 run, never shown in compact mode, and not counted in the dot column.
  r.metrics.push_back(trend("http_req_tls_handshaking", ValueKind::time, {0, 5'000'000}));
  r.metrics.push_back(trend("http_req_waiting", ValueKind::time, {100'000'000}));
  r.metrics.push_back(trend("group_duration", ValueKind::time, {1'000'000}));
  r.metrics.push_back(counter_metric("dropped_iterations", 0));  // never observed

  r.checks = {{"status is 200", 44, 1}, {"body ok", 45, 0}};
  return r;
}

std::string render_k6(const RunReport& r, TextSummaryOptions o = {}) {
  o.inferload_section = false;
  return render_text_summary(r, o);
}

std::vector<std::string> rtrimmed_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out.push_back(line);
  }
  return out;
}

std::string line_starting(const std::string& text, std::string_view prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(prefix)) return line;
  }
  return "<no line starting with '" + std::string(prefix) + "'>";
}

TEST(TextSummary, CompactExample) {
  const std::vector<std::string> expected = {
      "",
      "",
      "  █ THRESHOLDS",
      "",
      "    http_req_duration",
      "    ✓ 'p(95)<1500' p(95)=152.85ms",
      "    ✗ 'p(99)<100' p(99)=154.27ms",
      "",
      "    http_req_failed",
      "    ✗ 'rate<0.01' rate=2.22%",
      "",
      "",
      "  █ TOTAL RESULTS",
      "",
      "    checks_total.......................: 90     13.122179/s",
      "    checks_succeeded...................: 98.88% 89 out of 90",
      "    checks_failed......................: 1.11%  1 out of 90",
      "",
      "    ✗ status is 200",
      "      ↳  97% — ✓ 44 / ✗ 1",
      "    ✓ body ok",
      "",
      "    CUSTOM",
      "    my_trend................................................................: avg=152.355556 min=120      "
      "med=141      max=684      p(90)=147.2    p(95)=148.8",
      "",
      "    HTTP",
      "    http_req_duration.......................................................: avg=136.85ms   min=119.08ms "
      "med=136.85ms max=154.63ms p(90)=151.07ms p(95)=152.85ms",
      "      { expected_response:true }............................................: avg=136.85ms   min=119.08ms "
      "med=136.85ms max=154.63ms p(90)=151.07ms p(95)=152.85ms",
      "    http_req_failed.........................................................: 2.22%  1 out of 45",
      "    http_reqs...............................................................: 45     6.56109/s",
      "",
      "    EXECUTION",
      "    iteration_duration......................................................: avg=401.99ms   min=119.37ms "
      "med=401.99ms max=684.62ms p(90)=628.09ms p(95)=656.35ms",
      "    iterations..............................................................: 45     6.56109/s",
      "    vus.....................................................................: 1      min=1       max=1",
      "    vus_max.................................................................: 1      min=1       max=1",
      "",
      "    NETWORK",
      "    data_received...........................................................: 519 kB 76 kB/s",
      "    data_sent...............................................................: 4.9 kB 718 B/s",
      "",
      "    GRPC",
      "    grpc_req_duration.......................................................: avg=24.5ms     min=900µs    "
      "med=24.5ms   max=48.1ms   p(90)=43.38ms  p(95)=45.74ms",
      "",
      "",
      "",
  };
  EXPECT_EQ(rtrimmed_lines(render_k6(compact_example())), expected);
}

TEST(TextSummary, FramingAndPadding) {
  const std::string out = render_k6(compact_example());
  // k6 writes "\n" + summary + "\n\n", and its summary starts with a newline of its own.
  EXPECT_TRUE(out.starts_with("\n\n  █ THRESHOLDS \n\n    http_req_duration\n")) << out;
  EXPECT_TRUE(out.ends_with("p(95)=45.74ms \n\n\n\n")) << out;
  EXPECT_NE(out.find("\n\n\n  █ TOTAL RESULTS \n\n    checks_total"), std::string::npos);
  // Trend columns are padded to the column width even at the end of the line; a lone extra is not.
  EXPECT_EQ(line_starting(out, "    my_trend").substr(line_starting(out, "    my_trend").size() - 14),
            "p(95)=148.8   ");
  EXPECT_TRUE(line_starting(out, "    http_reqs.").ends_with(": 45     6.56109/s"));
  EXPECT_TRUE(line_starting(out, "    checks_total").ends_with(": 90     13.122179/s"));
  EXPECT_TRUE(line_starting(out, "    vus.").ends_with("min=1       max=1"));
  EXPECT_EQ(out.find("http_req_waiting"), std::string::npos);
  EXPECT_EQ(out.find("group_duration"), std::string::npos);
  EXPECT_EQ(out.find("dropped_iterations"), std::string::npos);
  EXPECT_EQ(out.find("\n    checks."), std::string::npos);
}

TEST(TextSummary, PlainMetricsDotColumn) {
  RunReport r;
  r.test_run_duration_s = 10;
  r.metrics.push_back(trend("iteration_duration", ValueKind::time, {1'000'000}));
  r.metrics.push_back(counter_metric("iterations", 10));
  r.metrics.push_back(gauge_metric("vus", 1, 1, 1));
  r.metrics.push_back(trend("http_req_tls_handshaking", ValueKind::time, {1'000'000}));
  const std::string out = render_k6(r);
  // W = 2 × len("iteration_duration") = 36; iterations gets 36 + 3 − 10 dots.
  EXPECT_NE(out.find("    iterations" + std::string(29, '.') + ": 10 1/s\n"), std::string::npos) << out;
  EXPECT_TRUE(out.starts_with("\n\n  █ TOTAL RESULTS \n\n    EXECUTION\n")) << out;
}

TEST(TextSummary, SubmetricThresholdsNestUnderTheirParent) {
  RunReport r;
  r.test_run_duration_s = 1;
  const std::vector<std::int64_t> samples = {100'000'000, 200'000'000};
  auto parent = trend("http_req_duration", ValueKind::time, samples);
  parent.has_thresholds = true;
  parent.thresholds = {{" p(95) < 1500 ", false}};
  r.metrics.push_back(parent);
  auto status = trend("http_req_duration{status:200}", ValueKind::time, samples);
  status.has_thresholds = true;
  status.thresholds = {{"avg<200", false}, {"med>=200", true}};
  r.metrics.push_back(status);
  auto orphan = trend("grpc_req_duration{scenario:default}", ValueKind::time, {});
  orphan.has_thresholds = true;
  orphan.thresholds = {{"max>=0", false}};
  r.metrics.push_back(orphan);
  auto reqs = counter_metric("http_reqs", 4);
  reqs.has_thresholds = true;
  reqs.thresholds = {{"rate>1", false}, {"count==4", false}};
  r.metrics.push_back(reqs);
  auto scenario_reqs = counter_metric("http_reqs{scenario:default}", 0);
  scenario_reqs.has_thresholds = true;  // empty list: shown in TOTAL RESULTS, not in THRESHOLDS
  r.metrics.push_back(scenario_reqs);

  const std::vector<std::string> lines = rtrimmed_lines(render_k6(r));
  const std::vector<std::string> head(lines.begin(), lines.begin() + 22);
  EXPECT_EQ(head, (std::vector<std::string>{
                      "",
                      "",
                      "  █ THRESHOLDS",
                      "",
                      "    grpc_req_duration{scenario:default}",
                      "    ✓ 'max>=0' max=0s",
                      "",
                      "    http_req_duration",
                      "    ✓ 'p(95) < 1500' p(95)=195ms",
                      "",
                      "      {status:200}",
                      "      ✓ 'avg<200' avg=150ms",
                      "      ✗ 'med>=200' med=150ms",
                      "",
                      "    http_reqs",
                      "    ✓ 'rate>1' rate=4/s",
                      "    ✓ 'count==4' count=4",
                      "",
                      "",
                      "  █ TOTAL RESULTS",
                      "",
                      "    HTTP",
                  }));
  const std::string out = render_k6(r);
  // W = len("grpc_req_duration{scenario:default}") + len("  { scenario:default }") = 57.
  EXPECT_NE(out.find("\n      { scenario:default }" + std::string(57 + 3 - 22, '.') + ": 0 0/s\n"), std::string::npos)
      << out;
  // A submetric without its parent in the report still shows only its tags.
  EXPECT_NE(out.find("\n    GRPC\n      { scenario:default }"), std::string::npos) << out;
}

TEST(TextSummary, TrendStatsAndTimeUnitOptions) {
  RunReport r;
  r.test_run_duration_s = 1;
  r.metrics.push_back(trend("http_req_duration", ValueKind::time, {10'000'000, 20'000'000}));
  TextSummaryOptions o;
  o.trend_stats = {"count", "p(99.9)", "max"};
  o.time_unit = "ms";
  EXPECT_TRUE(line_starting(render_k6(r, o), "    http_req_duration")
                  .ends_with(": count=2 p(99.9)=19.99ms max=20.00ms"));
  o.time_unit = "s";
  EXPECT_TRUE(line_starting(render_k6(r, o), "    http_req_duration").ends_with(": count=2 p(99.9)=0.02s max=0.02s"));

  o.time_unit = "minutes";
  EXPECT_THROW(render_k6(r, o), std::invalid_argument);
  o.time_unit = "";
  o.trend_stats = {"avg", "p(99.99.9)"};
  EXPECT_THROW(render_k6(r, o), std::invalid_argument);
}

TEST(TextSummary, CollationOrderAndPrefixCategories) {
  RunReport r;
  r.test_run_duration_s = 1;
  for (const char* name : {"Zeta", "metric1", "metric_a", "alpha", "vus_custom", "checks_custom"}) {
    r.metrics.push_back(counter_metric(name, 1));
  }
  const std::vector<std::string> lines = rtrimmed_lines(render_k6(r));
  std::vector<std::string> names;
  for (const auto& l : lines) {
    if (l.starts_with("    ") && l.find('.') != std::string::npos) names.push_back(l.substr(4, l.find('.') - 4));
    if (l == "    EXECUTION") names.push_back("EXECUTION");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"alpha", "metric_a", "metric1", "Zeta", "EXECUTION", "vus_custom"}));
}

TEST(TextSummary, ColorsWrapButDoNotMoveText) {
  const RunReport r = compact_example();
  TextSummaryOptions o;
  o.color = true;
  const std::string colored = render_k6(r, o);
  EXPECT_NE(colored.find("\x1b[1mTOTAL RESULTS\x1b[0m"), std::string::npos);
  EXPECT_NE(colored.find("\x1b[32m✓ body ok\x1b[0m"), std::string::npos);
  EXPECT_NE(colored.find("\x1b[31m✗\x1b[0m"), std::string::npos);
  EXPECT_NE(colored.find("\x1b[36m45\x1b[0m"), std::string::npos);
  std::string stripped;
  for (std::size_t i = 0; i < colored.size(); ++i) {
    if (colored[i] == '\x1b') {
      i = colored.find('m', i);
      continue;
    }
    stripped += colored[i];
  }
  EXPECT_EQ(stripped, render_k6(r));
}

std::string label_line(std::string_view label, std::size_t width, std::string_view value) {
  return "    " + std::string(label) + std::string(width + 3 - label.size(), '.') + ": " + std::string(value) + "\n";
}

TEST(TextSummary, InferloadSection) {
  RunReport r = compact_example();
  r.info.io_backend = "io_uring";
  r.info.io_detail = "SQPOLL off";
  r.info.workers = 2;
  r.info.driver_cpu_seconds = 0.09;
  r.info.requests = {45, 44, 1, 0, 0};
  r.info.iterations_interrupted = 3;
  const std::string out = render_text_summary(r);
  const std::string k6_part = render_k6(r);
  ASSERT_TRUE(out.starts_with(k6_part.substr(0, k6_part.size() - 2)));
  const std::size_t w = std::string_view("iterations_interrupted").size();
  EXPECT_EQ(out.substr(k6_part.size() - 2),
            "\n  █ INFERLOAD \n\n" + label_line("io_backend", w, "io_uring (SQPOLL off)") +
                label_line("workers", w, "2") + label_line("driver_cpu", w, "90ms 500 requests per CPU-second") +
                label_line("requests", w, "45 issued, 44 ok, 1 failed, 0 timed out, 0 interrupted") +
                label_line("iterations_interrupted", w, "3") +
                label_line("http_req_duration", w, "p(99)=154.27ms p(99.9)=154.59ms max=154.63ms") +
                label_line("grpc_req_duration", w, "p(99)=47.62ms p(99.9)=48.05ms max=48.1ms") + "\n\n\n");
}

// Kafka's metrics are a block of their own, after GRPC; its section line says how it ran and
// its request latency's tail follows gRPC's.
TEST(TextSummary, KafkaBlockLineAndLatencyTail) {
  RunReport r;
  r.test_run_duration_s = 2;
  r.metrics.push_back(trend("grpc_req_duration", ValueKind::time, {900'000, 48'100'000}));
  r.metrics.push_back(counter_metric("kafka_reqs", 4));
  r.metrics.push_back(trend("kafka_req_duration", ValueKind::time, {3'000'000, 12'000'000}));
  r.metrics.push_back(trend("kafka_produce_duration", ValueKind::time, {1'000'000, 2'000'000}));
  r.metrics.push_back(gauge_metric("vus", 1, 1, 1));
  r.info.kafka = true;
  r.info.kafka_mode = "pipeline";
  r.info.kafka_bootstrap = "127.0.0.1:9092";
  r.info.kafka_late_replies = 2;
  r.info.kafka_foreign_records = 5;
  const std::string out = render_text_summary(r);
  const auto grpc = out.find("    GRPC\n");
  const auto kafka = out.find("    KAFKA\n");
  ASSERT_NE(grpc, std::string::npos) << out;
  ASSERT_NE(kafka, std::string::npos) << out;
  EXPECT_LT(grpc, kafka);
  // Sorted by name within the block: kafka_produce_duration, kafka_req_duration, kafka_reqs.
  const auto produce = out.find("    kafka_produce_duration.");
  const auto duration = out.find("    kafka_req_duration.");
  const auto reqs = out.find("    kafka_reqs.");
  EXPECT_LT(kafka, produce);
  EXPECT_LT(produce, duration);
  EXPECT_LT(duration, reqs);
  EXPECT_TRUE(line_starting(out, "    kafka_reqs.").ends_with(" 2/s")) << out;
  const std::size_t w = std::string_view("kafka_req_duration").size();
  EXPECT_TRUE(out.ends_with(label_line("kafka", w, "pipeline mode, bootstrap 127.0.0.1:9092, 2 late replies, 5 foreign records") +
                            label_line("grpc_req_duration", w, "p(99)=47.62ms p(99.9)=48.05ms max=48.1ms") +
                            label_line("kafka_req_duration", w, "p(99)=11.91ms p(99.9)=11.99ms max=12ms") + "\n\n\n"))
      << out;
}

TEST(TextSummary, NoKafkaLineWithoutKafka) {
  EXPECT_EQ(render_text_summary(compact_example()).find("kafka"), std::string::npos);
}

TEST(TextSummary, InferloadSectionWithoutHttpOrCpu) {
  const std::string out = render_text_summary(RunReport{});
  EXPECT_TRUE(out.ends_with("\n  █ INFERLOAD \n"
                            "\n"
                            "    io_backend...: unknown\n"
                            "    workers......: 0\n"
                            "    driver_cpu...: 0s\n"
                            "    requests.....: 0 issued, 0 ok, 0 failed, 0 timed out, 0 interrupted\n"
                            "\n\n\n"))
      << out;
}

TEST(TextSummary, FailuresByKindFollowTheRequestFates) {
  RunReport r;
  r.info.requests = {100, 60, 30, 10, 0};
  r.info.failures = {{1500, 500, "status 500", 25},
                     {1050, 0, "request timeout", 10},
                     {1212, 0, "dial: connection refused", 4},
                     {0, 301, "status 301", 1}};
  const std::string out = render_text_summary(r);
  const std::size_t w = std::string_view("failures_by_kind").size();
  const std::string more = "    " + std::string(w + 5, ' ');
  EXPECT_TRUE(out.ends_with(label_line("requests", w, "100 issued, 60 ok, 30 failed, 10 timed out, 0 interrupted") +
                            label_line("failures_by_kind", w, "25 error_code=1500 status 500") +
                            more + "10 error_code=1050 request timeout\n" +
                            more + " 4 error_code=1212 dial: connection refused\n" +
                            more + " 1                 status 301\n" + "\n\n\n"))
      << out;
}

TEST(TextSummary, FailuresByKindWithoutAnyK6Code) {
  RunReport r;
  r.info.requests = {3, 0, 3, 0, 0};
  r.info.failures = {{0, 302, "status 302", 3}};
  const std::string out = render_text_summary(r);
  EXPECT_NE(out.find("    failures_by_kind...: 3 status 302\n"), std::string::npos) << out;
}

TEST(TextSummary, NoFailureLinesWithoutFailures) {
  RunReport r;
  r.info.requests = {3, 3, 0, 0, 0};
  EXPECT_EQ(render_text_summary(r).find("failures_by_kind"), std::string::npos);
}

TEST(TextSummary, FailureLinesKeepTheirColumnsInColor) {
  RunReport r;
  r.info.failures = {{1503, 503, "status 503", 12}, {0, 301, "status 301", 1}};
  TextSummaryOptions o;
  o.color = true;
  const std::string out = render_text_summary(r, o);
  EXPECT_NE(out.find("\x1b[36m12\x1b[0m \x1b[2;36merror_code=1503\x1b[0m status 503\n"), std::string::npos) << out;
  EXPECT_NE(out.find(" \x1b[36m1\x1b[0m                 status 301\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace inferload::output
