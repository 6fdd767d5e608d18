// A summary export read back is the report it was written from: writing it again gives the same
// text, byte for byte. Files that are not inferload exports, or whose merge data is broken, are
// refused with one line naming the file (exit 104).
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>

#include "inferload/app/cli.hpp"
#include "inferload/app/export_reader.hpp"
#include "inferload/output/report_merge.hpp"
#include "inferload/output/summary_export.hpp"
#include "inferload/output/trend_stats.hpp"

namespace inferload::app {
namespace {

using metrics::Histogram;
using metrics::ValueKind;
using output::RunReport;

std::shared_ptr<const Histogram> histogram(std::initializer_list<std::int64_t> values) {
  auto h = std::make_shared<Histogram>();
  for (auto v : values) h->record(v);
  return h;
}

RunReport full_report() {
  RunReport r;
  r.metrics.push_back(metrics::counter_metric("http_reqs", 3));
  r.metrics.push_back(metrics::counter_metric("data_received", 123456, ValueKind::data));
  auto duration = metrics::trend_metric("http_req_duration", ValueKind::time, histogram({1'500'000, 2'000'001, 90'000'000}));
  duration.has_thresholds = true;
  duration.thresholds = {{"p(95)<500", false}, {"max < 10", true}};
  r.metrics.push_back(duration);
  auto sub = metrics::trend_metric("grpc_req_duration{scenario:default}", ValueKind::time, nullptr);
  sub.has_thresholds = true;  // registered with no expression and no sample
  r.metrics.push_back(sub);
  auto parent = metrics::trend_metric("grpc_req_duration", ValueKind::time, nullptr);
  parent.observed = true;
  r.metrics.push_back(parent);
  r.metrics.push_back(metrics::rate_metric("http_req_failed", 1, 2));
  r.metrics.push_back(metrics::gauge_metric("vus", 0, 0, 5));
  r.checks = {{"model http prediction success", 2, 1}, {"grpc \"ok\"", 0, 0}};
  r.test_run_spans = {{1'700'000'000'000'000'000, 1'700'000'012'345'678'901}};
  r.test_run_duration_s = 12.345678901;
  auto& i = r.info;
  i.version = "9.9.9";
  i.script = "infer_constant_vu";
  i.io_backend = "epoll";
  i.io_detail = "io_uring refused: EPERM";
  i.workers = 2;
  i.driver_cpu_seconds = 0.75;
  i.requests = {3, 2, 1, 0, 0};
  i.scheduler_requests = {4, 4, 0, 0, 0};
  i.failures = {{1503, 503, "status 503", 1}};
  i.iterations_interrupted = 1;
  i.driver_overload = {"worker 0 was busy 99% of the run"};
  i.grpc = true;
  i.grpc_connections = "pooled, 1 per worker";
  i.grpc_connections_opened = 2;
  i.grpc_statuses = {{"OK", 5}, {"UNAVAILABLE", 1}};
  i.kafka = true;
  i.kafka_mode = "pipeline";
  i.kafka_bootstrap = "127.0.0.1:9092";
  i.kafka_late_replies = 4;
  i.kafka_foreign_records = 7;
  i.setup.ran = true;
  i.setup.outcome = "completed";
  i.setup.models = i.setup.models_done = 2;
  i.setup.rpcs = 6;
  i.setup.probes = 2;
  i.setup.duration_s = 1.5;
  output::set_time_to_ready(i.setup, histogram({400'000'000, 600'000'000}));
  i.teardown.ran = true;
  i.teardown.outcome = "failed";
  i.teardown.error = "UnloadModel m: NOT_FOUND";
  i.teardown.models = 2;
  i.teardown.failed = 1;
  i.setup_data = scv2::ConfigValue::object({{"inferType", scv2::ConfigValue::of(std::string("REST"))},
                                           {"maxNumModels", scv2::ConfigValue::array({scv2::ConfigValue::of(10.0)})},
                                           {"warmup", scv2::ConfigValue::of(false)}});
  i.sample_outputs = {"csv (results/base.gz)"};
  i.sample_rows_written = 42;
  i.sample_errors = {"csv: disk full"};
  i.scenarios = {{"default", "shared-iterations", {{"startTime", "0s"}, {"maxDuration", "10m0s"}}, {{"team", "a"}}}};
  return r;
}

std::string written(const RunReport& r, const std::vector<std::string>& stats) {
  std::ostringstream out;
  output::write_summary_export(out, r, stats);
  return out.str();
}

TEST(ExportReader, ReadBackAndWrittenAgainIsTheSameText) {
  const std::vector<std::string> stats = {"avg", "p(99.9)", "count"};
  const std::string text = written(full_report(), stats);
  const ImportedExport back = parse_summary_export(text, "base.json");
  EXPECT_EQ(back.trend_stats, stats);
  EXPECT_EQ(written(back.report, back.trend_stats), text);
  EXPECT_EQ(back.report.test_run_duration_s, full_report().test_run_duration_s);
  EXPECT_TRUE(*back.report.info.setup.time_to_ready == *full_report().info.setup.time_to_ready);
  EXPECT_TRUE(back.report.info.kafka);
  EXPECT_EQ(back.report.info.kafka_mode, "pipeline");
  EXPECT_EQ(back.report.info.kafka_bootstrap, "127.0.0.1:9092");
  EXPECT_EQ(back.report.info.kafka_late_replies, 4u);
  EXPECT_EQ(back.report.info.kafka_foreign_records, 7u);

  // A merged export too, with its list of files and the union of the spans.
  RunReport later = full_report();
  later.test_run_spans = {{1'700'000'100'000'000'000, 1'700'000'101'000'000'000}};
  const RunReport merged = output::merge_reports({{"a.json", full_report()}, {"b.json", later}});
  const std::string merged_text = written(merged, stats);
  const ImportedExport merged_back = parse_summary_export(merged_text, "merged.json");
  EXPECT_EQ(merged_back.report.info.merged_from, (std::vector<std::string>{"a.json", "b.json"}));
  EXPECT_EQ(merged_back.report.test_run_spans.size(), 2u);
  EXPECT_EQ(written(merged_back.report, stats), merged_text);
}

void expect_refused(const std::string& text, const std::string& message) {
  try {
    parse_summary_export(text, "x.json");
    ADD_FAILURE() << "accepted: " << message;
  } catch (const ExitError& e) {
    EXPECT_EQ(e.code(), kExitInvalidConfig);
    EXPECT_EQ(std::string(e.what()).substr(0, message.size()), message) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

// The last occurrence: the "inferload" section comes after k6's keys, which the reader ignores.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.rfind(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(ExportReader, OtherDocumentsAreRefused) {
  expect_refused("{\"metrics\": ", "x.json is not a summary export: not JSON");
  expect_refused("[1, 2]", "x.json is not a summary export: not a JSON object");
  expect_refused(R"({"root_group": {}, "metrics": {"http_reqs": {"count": 1, "rate": 1}}})",
                 "x.json is k6's summary export, not inferload's: it has no histograms to merge");
  expect_refused(R"({"inferload": {"version": "0.1.0", "requests": {}}})",
                 "x.json was written by inferload 0.1.0, whose exports carry no histograms to merge");
  const std::string good = written(full_report(), output::default_export_trend_stats());
  expect_refused(replaced(good, "\"log-linear/2048/3600000000000\"", "\"log-linear/4096/1\""),
                 "x.json: inferload.histogram_layout \"log-linear/4096/1\" is not this inferload's");
}

TEST(ExportReader, BrokenMergeDataIsRefusedNamingTheValue) {
  const std::string good = written(full_report(), output::default_export_trend_stats());
  // http_req_duration is the fourth metric of the sorted list.
  expect_refused(replaced(good, "\"count\": 3,\n                    \"min\": 1500000", "\"count\": 4,\n                    \"min\": 1500000"),
                 "x.json: inferload.metrics[3].histogram: the buckets hold 3 samples, not count 4");
  expect_refused(replaced(good, "\"min\": 1500000", "\"min\": 1400000"),
                 "x.json: inferload.metrics[3].histogram: min 1400000 or max 90000000 is not in the first or last bucket");
  expect_refused(replaced(good, "\"type\": \"trend\"", "\"type\": \"histogram\""),
                 "x.json: inferload.metrics[3].type: not counter, gauge, rate or trend");
  expect_refused(replaced(good, "\"p(95)<500\"", "\"p95<500\""), "x.json: inferload.metrics[3].thresholds: ");
  expect_refused(replaced(good, "\"issued\": 3", "\"issued\": 4"),
                 "x.json: inferload.requests: ok, failed, timed_out and interrupted do not add up to issued");
  expect_refused(replaced(good, "\"test_run\"", "\"test_runs\""), "x.json: inferload: missing \"test_run\"");
  expect_refused(replaced(good, "\"late_replies\": 4", "\"late_replies\": -4"),
                 "x.json: inferload.kafka.late_replies: expected a whole number of at least 0");
  expect_refused(replaced(good, "\"foreign_records\": 7", "\"foreign_record\": 7"),
                 "x.json: inferload.kafka: missing \"foreign_records\"");
  expect_refused(replaced(good, "\"start_unix_ns\": 1700000000000000000", "\"start_unix_ns\": \"now\""),
                 "x.json: inferload.test_run.spans[0].start_unix_ns: expected a whole number");
}

}  // namespace
}  // namespace inferload::app
