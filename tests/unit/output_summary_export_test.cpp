// --summary-export: k6's legacy JSON shape, checked against a complete expected document, plus a
// small JSON syntax check and the file-writing contract.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "inferload/metrics/histogram.hpp"
#include "inferload/output/summary_export.hpp"
#include "inferload/output/trend_stats.hpp"

namespace inferload::output {
namespace {

using metrics::MetricSummary;
using metrics::MetricType;
using metrics::counter_metric;
using metrics::rate_metric;
using metrics::gauge_metric;
using metrics::ValueKind;

std::shared_ptr<const metrics::Histogram> histogram(std::initializer_list<std::int64_t> values) {
  auto h = std::make_shared<metrics::Histogram>();
  for (auto v : values) h->record(v);
  return h;
}

MetricSummary trend(std::string name, ValueKind kind, std::shared_ptr<const metrics::Histogram> h) {
  return metrics::trend_metric(std::move(name), kind, std::move(h));
}

RunReport sample_report() {
  RunReport r;
  r.test_run_duration_s = 10;
  const auto durations = histogram({10'000'000, 20'000'000});  // 10 ms and 20 ms

  r.metrics.push_back(counter_metric("http_reqs", 45));
  auto scenario_reqs = counter_metric("http_reqs{scenario:default}", 0);
  scenario_reqs.has_thresholds = true;  // SCv2's empty-list trick: reported, no "thresholds" key
  r.metrics.push_back(scenario_reqs);
  r.metrics.push_back(trend("http_req_duration", ValueKind::time, durations));
  auto scenario_durations = trend("http_req_duration{scenario:default}", ValueKind::time, durations);
  scenario_durations.has_thresholds = true;
  scenario_durations.thresholds = {{"max>=0", false}};
  r.metrics.push_back(scenario_durations);
  auto failed = rate_metric("http_req_failed", 0, 45);
  failed.has_thresholds = true;
  failed.thresholds = {{"rate<0.01", false}, {"rate<0", true}};
  r.metrics.push_back(failed);
  r.metrics.push_back(rate_metric("checks", 123, 3));
  MetricSummary vus;
  vus.name = "vus";
  vus.type = MetricType::gauge;
  vus.value = 5;
  vus.min = 0;
  vus.max = 5;
  r.metrics.push_back(vus);
  r.metrics.push_back(counter_metric("data_received", 519000, ValueKind::data));
  r.metrics.push_back(counter_metric("dropped_iterations", 0));  // never observed: left out
  r.metrics.push_back(trend("my_plain_trend", ValueKind::plain, histogram({120, 141})));
  auto empty_rate = rate_metric("empty_rate", 0, 0);
  empty_rate.has_thresholds = true;
  empty_rate.thresholds = {{"rate<0.1", false}};
  r.metrics.push_back(empty_rate);

  r.checks = {{"model http prediction success", 123, 0}, {"a \"quoted\" check", 0, 3}};

  r.info.version = "0.1.0-test";
  r.info.script = "infer_constant_vu";
  r.info.io_backend = "io_uring";
  r.info.io_detail = "SQPOLL off\n\"ring\"";
  r.info.workers = 2;
  r.info.driver_cpu_seconds = 1.25;
  r.info.requests = {45, 44, 1, 0, 0};
  r.info.failures = {{1503, 503, "status 503", 1}};
  r.test_run_spans = {{1'700'000'000'000'000'000, 1'700'000'010'000'000'000}};
  r.info.scenarios = {{"default", "constant-vus", {{"startTime", "0s"}, {"gracefulStop", "30s"}, {"duration", "10s"}}, {}}};
  return r;
}

std::string render(const RunReport& r, const std::vector<std::string>& stats = default_export_trend_stats()) {
  std::ostringstream out;
  write_summary_export(out, r, stats);
  return out.str();
}

constexpr const char* kExpected = R"json({
    "root_group": {
        "name": "",
        "path": "",
        "id": "d41d8cd98f00b204e9800998ecf8427e",
        "groups": {},
        "checks": {
            "model http prediction success": {
                "name": "model http prediction success",
                "path": "::model http prediction success",
                "id": "191c66277c61c8e18e091f1f14c0e551",
                "passes": 123,
                "fails": 0
            },
            "a \"quoted\" check": {
                "name": "a \"quoted\" check",
                "path": "::a \"quoted\" check",
                "id": "fa6f0a3f67f262bc7e020cb80028c601",
                "passes": 0,
                "fails": 3
            }
        }
    },
    "metrics": {
        "checks": {
            "passes": 123,
            "fails": 3,
            "value": 0.9761904761904762
        },
        "data_received": {
            "count": 519000,
            "rate": 51900
        },
        "empty_rate": {
            "passes": 0,
            "fails": 0,
            "value": 0,
            "thresholds": {
                "rate<0.1": false
            }
        },
        "http_req_duration": {
            "avg": 15,
            "min": 10,
            "med": 15,
            "max": 20,
            "p(90)": 19,
            "p(95)": 19.5,
            "p(99)": 19.9,
            "p(99.9)": 19.99
        },
        "http_req_duration{scenario:default}": {
            "avg": 15,
            "min": 10,
            "med": 15,
            "max": 20,
            "p(90)": 19,
            "p(95)": 19.5,
            "p(99)": 19.9,
            "p(99.9)": 19.99,
            "thresholds": {
                "max>=0": false
            }
        },
        "http_req_failed": {
            "passes": 0,
            "fails": 45,
            "value": 0,
            "thresholds": {
                "rate<0.01": false,
                "rate<0": true
            }
        },
        "http_reqs": {
            "count": 45,
            "rate": 4.5
        },
        "http_reqs{scenario:default}": {
            "count": 0,
            "rate": 0
        },
        "my_plain_trend": {
            "avg": 130.5,
            "min": 120,
            "med": 130.5,
            "max": 141,
            "p(90)": 138.9,
            "p(95)": 139.95,
            "p(99)": 140.79,
            "p(99.9)": 140.979
        },
        "vus": {
            "value": 5,
            "min": 0,
            "max": 5
        }
    },
    "inferload": {
        "version": "0.1.0-test",
        "script": "infer_constant_vu",
        "io_backend": "io_uring",
        "io_detail": "SQPOLL off\n\"ring\"",
        "workers": 2,
        "driver_cpu_seconds": 1.25,
        "requests": {
            "issued": 45,
            "ok": 44,
            "failed": 1,
            "timed_out": 0,
            "interrupted": 0
        },
        "failures": [
            {
                "error_code": 1503,
                "status": 503,
                "error": "status 503",
                "count": 1
            }
        ],
        "iterations_interrupted": 0,
        "driver_overloaded": false,
        "driver_overload": [],
        "test_run_duration_s": 10,
        "test_run": {
            "spans": [
                {
                    "start_unix_ns": 1700000000000000000,
                    "end_unix_ns": 1700000010000000000
                }
            ]
        },
        "test": {
            "script": "infer_constant_vu",
            "scenarios": [
                {
                    "name": "default",
                    "executor": "constant-vus",
                    "options": {
                        "startTime": "0s",
                        "gracefulStop": "30s",
                        "duration": "10s"
                    },
                    "tags": {}
                }
            ]
        },
        "trend_stats": [
            "avg",
            "min",
            "med",
            "max",
            "p(90)",
            "p(95)",
            "p(99)",
            "p(99.9)"
        ],
        "histogram_layout": "log-linear/2048/3600000000000",
        "checks": [
            {
                "name": "model http prediction success",
                "passes": 123,
                "fails": 0
            },
            {
                "name": "a \"quoted\" check",
                "passes": 0,
                "fails": 3
            }
        ],
        "metrics": [
            {
                "name": "checks",
                "type": "rate",
                "contains": "default",
                "passes": 123,
                "fails": 3
            },
            {
                "name": "data_received",
                "type": "counter",
                "contains": "data",
                "count": 519000
            },
            {
                "name": "empty_rate",
                "type": "rate",
                "contains": "default",
                "passes": 0,
                "fails": 0,
                "thresholds": [
                    "rate<0.1"
                ]
            },
            {
                "name": "http_req_duration",
                "type": "trend",
                "contains": "time",
                "histogram": {
                    "count": 2,
                    "min": 10000000,
                    "max": 20000000,
                    "sum": "30000000",
                    "clamped": 0,
                    "buckets": "14532,1023"
                }
            },
            {
                "name": "http_req_duration{scenario:default}",
                "type": "trend",
                "contains": "time",
                "histogram": {
                    "count": 2,
                    "min": 10000000,
                    "max": 20000000,
                    "sum": "30000000",
                    "clamped": 0,
                    "buckets": "14532,1023"
                },
                "thresholds": [
                    "max>=0"
                ]
            },
            {
                "name": "http_req_failed",
                "type": "rate",
                "contains": "default",
                "passes": 0,
                "fails": 45,
                "thresholds": [
                    "rate<0.01",
                    "rate<0"
                ]
            },
            {
                "name": "http_reqs",
                "type": "counter",
                "contains": "default",
                "count": 45
            },
            {
                "name": "http_reqs{scenario:default}",
                "type": "counter",
                "contains": "default",
                "count": 0,
                "thresholds": []
            },
            {
                "name": "my_plain_trend",
                "type": "trend",
                "contains": "default",
                "histogram": {
                    "count": 2,
                    "min": 120,
                    "max": 141,
                    "sum": "261",
                    "clamped": 0,
                    "buckets": "120,20"
                }
            },
            {
                "name": "vus",
                "type": "gauge",
                "contains": "default",
                "value": 5,
                "min": 0,
                "max": 5
            }
        ]
    }
})json";

TEST(K6Id, Md5OfPath) {
  EXPECT_EQ(k6_id(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(k6_id("::status is 200"), "6210a8cd14cd70477eba5c5e4cb3fb5f");  // k6-semantics.md 6.2
  EXPECT_EQ(k6_id("::model http prediction success"), "191c66277c61c8e18e091f1f14c0e551");
}

TEST(SummaryExport, CompleteDocument) { EXPECT_EQ(render(sample_report()), kExpected); }

TEST(SummaryExport, TrendKeysFollowTheSelectedStats) {
  RunReport r;
  r.metrics.push_back(trend("http_req_duration", ValueKind::time, histogram({10'000'000, 20'000'000})));
  r.metrics.push_back(trend("plain", ValueKind::plain, histogram({1, 3})));
  // Given, the list is the keys exactly: no p(99) added (k6's behaviour for an explicit list).
  const std::string out = render(r, {"count", "p(99.9)", "avg", "avg"});
  EXPECT_NE(out.find("        \"http_req_duration\": {\n"
                     "            \"count\": 2,\n"
                     "            \"p(99.9)\": 19.99,\n"
                     "            \"avg\": 15\n"
                     "        },"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("        \"plain\": {\n"
                     "            \"count\": 2,\n"
                     "            \"p(99.9)\": 2.998,\n"
                     "            \"avg\": 2\n"
                     "        }\n"),
            std::string::npos)
      << out;
}

TEST(SummaryExport, EmptyReport) {
  const std::string out = render(RunReport{});
  const std::string prefix =
            "{\n"
            "    \"root_group\": {\n"
            "        \"name\": \"\",\n"
            "        \"path\": \"\",\n"
            "        \"id\": \"d41d8cd98f00b204e9800998ecf8427e\",\n"
            "        \"groups\": {},\n"
            "        \"checks\": {}\n"
            "    },\n"
            "    \"metrics\": {},\n";
  EXPECT_EQ(out.substr(0, prefix.size()), prefix);
  EXPECT_NE(out.find("\"version\": \"" INFERLOAD_VERSION "\""), std::string::npos);
  EXPECT_NE(out.back(), '\n');
}

TEST(SummaryExport, InvalidTrendStatThrows) {
  EXPECT_THROW(render(sample_report(), {"avg", "p(101)"}), std::invalid_argument);
}

// A minimal JSON syntax checker: enough to prove that hostile names still yield valid JSON.
class JsonSyntax {
 public:
  explicit JsonSyntax(std::string_view s) : s_(s) {}
  bool valid() {
    ws();
    if (!value()) return false;
    ws();
    return i_ == s_.size();
  }

 private:
  void ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool string() {
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (i_ >= s_.size()) return false;
        const char e = s_[i_++];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k) {
            if (i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_++]))) return false;
          }
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool literal(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  bool number() {
    const std::size_t start = i_;
    while (i_ < s_.size() && std::string_view("+-0123456789.eE").find(s_[i_]) != std::string_view::npos) ++i_;
    return i_ > start;
  }
  bool value() {
    ws();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') {
      ++i_;
      if (eat('}')) return true;
      do {
        ws();
        if (!string() || !eat(':') || !value()) return false;
      } while (eat(','));
      return eat('}');
    }
    if (c == '[') {
      ++i_;
      if (eat(']')) return true;
      do {
        if (!value()) return false;
      } while (eat(','));
      return eat(']');
    }
    if (c == '"') return string();
    if (c == 't') return literal("true");
    if (c == 'f') return literal("false");
    if (c == 'n') return literal("null");
    return number();
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

TEST(SummaryExport, HostileNamesStayValidJson) {
  RunReport r = sample_report();
  r.metrics.push_back(counter_metric("weird{url:http://x/\"y\"\\z\t}", 1));
  r.metrics.back().has_thresholds = true;
  r.metrics.back().thresholds = {{"count>\x01", true}};
  r.checks.push_back({"ctl \x1b[31m and ünïcødé ✓", 1, 0});
  r.info.io_detail = std::string("nul\0byte", 8);
  const std::string out = render(r);
  EXPECT_TRUE(JsonSyntax(out).valid()) << out;
  EXPECT_TRUE(JsonSyntax(kExpected).valid());
  EXPECT_FALSE(JsonSyntax("{\"a\": 1,}").valid());
  EXPECT_FALSE(JsonSyntax("[1,]").valid());
  EXPECT_NE(out.find("\"ctl \\u001b[31m and ünïcødé ✓\""), std::string::npos);
  EXPECT_NE(out.find("\"nul\\u0000byte\""), std::string::npos);
}

TEST(SummaryExport, FailuresInTheirOrderAndEmptyAsAnEmptyArray) {
  EXPECT_NE(render(RunReport{}).find("\n        \"failures\": [],\n"), std::string::npos);
  RunReport r;
  r.info.requests = {10, 1, 7, 2, 0};
  r.info.failures = {{1212, 0, "dial: connection refused", 6}, {1050, 0, "request timeout", 2},
                     {0, 301, "status 301", 1}};
  const std::string out = render(r);
  EXPECT_NE(out.find("        \"failures\": [\n"
                     "            {\n"
                     "                \"error_code\": 1212,\n"
                     "                \"status\": 0,\n"
                     "                \"error\": \"dial: connection refused\",\n"
                     "                \"count\": 6\n"
                     "            },\n"
                     "            {\n"
                     "                \"error_code\": 1050,\n"
                     "                \"status\": 0,\n"
                     "                \"error\": \"request timeout\",\n"
                     "                \"count\": 2\n"
                     "            },\n"
                     "            {\n"
                     "                \"error_code\": 0,\n"
                     "                \"status\": 301,\n"
                     "                \"error\": \"status 301\",\n"
                     "                \"count\": 1\n"
                     "            }\n"
                     "        ],\n"),
            std::string::npos)
      << out;
  EXPECT_TRUE(JsonSyntax(out).valid()) << out;
}

TEST(SummaryExport, EveryReasonTheDriverWasOverloadedIsAnElement) {
  RunReport r;
  EXPECT_NE(render(r).find("\n        \"driver_overloaded\": false,\n        \"driver_overload\": [],\n"), std::string::npos);
  r.info.driver_overload = {"schedule_lateness p(99)=2ms is above --max-lateness 1ms", "worker 0 was busy 99% of the run"};
  const std::string out = render(r);
  EXPECT_NE(out.find("        \"driver_overloaded\": true,\n"
                     "        \"driver_overload\": [\n"
                     "            \"schedule_lateness p(99)=2ms is above --max-lateness 1ms\",\n"
                     "            \"worker 0 was busy 99% of the run\"\n"
                     "        ],\n"),
            std::string::npos)
      << out;
  EXPECT_TRUE(JsonSyntax(out).valid()) << out;
}

TEST(SummaryExport, KafkaObjectWhenKafkaRan) {
  RunReport r;
  EXPECT_EQ(render(r).find("\"kafka\""), std::string::npos);
  r.info.kafka = true;
  r.info.kafka_mode = "model";
  r.info.kafka_bootstrap = "127.0.0.1:9092,127.0.0.1:9093";
  r.info.kafka_late_replies = 3;
  r.info.kafka_foreign_records = 12;
  const std::string out = render(r);
  EXPECT_NE(out.find("        \"kafka\": {\n"
                     "            \"mode\": \"model\",\n"
                     "            \"bootstrap\": \"127.0.0.1:9092,127.0.0.1:9093\",\n"
                     "            \"late_replies\": 3,\n"
                     "            \"foreign_records\": 12\n"
                     "        },\n"),
            std::string::npos)
      << out;
  EXPECT_TRUE(JsonSyntax(out).valid()) << out;
}

class SummaryExportFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("inferload-export-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::filesystem::path dir_;
};

TEST_F(SummaryExportFile, WritesAndTruncates) {
  const auto path = dir_ / "base.json";
  std::ofstream(path) << std::string(20000, 'x');
  write_summary_export_file(path.string(), sample_report(), default_export_trend_stats());
  EXPECT_EQ(slurp(path), kExpected);
}

TEST_F(SummaryExportFile, UnwritablePathNamesTheFile) {
  const auto path = dir_ / "missing-dir" / "base.json";
  try {
    write_summary_export_file(path.string(), sample_report(), default_export_trend_stats());
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

TEST_F(SummaryExportFile, InvalidStatsLeaveTheFileAlone) {
  const auto path = dir_ / "base.json";
  std::ofstream(path) << "previous";
  EXPECT_THROW(write_summary_export_file(path.string(), sample_report(), {"mean"}), std::invalid_argument);
  EXPECT_EQ(slurp(path), "previous");
}

}  // namespace
}  // namespace inferload::output
