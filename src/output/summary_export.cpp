#include "inferload/output/summary_export.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "inferload/output/json_writer.hpp"
#include "inferload/output/merge_data.hpp"
#include "inferload/output/metric_values.hpp"
#include "inferload/output/trend_stats.hpp"

#ifndef INFERLOAD_VERSION
#define INFERLOAD_VERSION "unknown"
#endif

namespace inferload::output {
namespace {

using metrics::MetricSummary;
using metrics::MetricType;

// k6 builds these objects in JavaScript, where a repeated key keeps its first position and its
// last value; repeated names (a trend stat listed twice, a threshold declared twice) do the same.
template <typename T>
std::vector<std::pair<std::string, T>> last_value_wins(std::vector<std::pair<std::string, T>> in) {
  std::vector<std::pair<std::string, T>> out;
  for (auto& kv : in) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& o) { return o.first == kv.first; });
    if (it == out.end()) {
      out.push_back(std::move(kv));
    } else {
      it->second = std::move(kv.second);
    }
  }
  return out;
}

void write_trend(JsonWriter& w, const MetricSummary& m, const std::vector<TrendStat>& stats) {
  std::vector<std::pair<std::string, double>> values;
  const auto& h = trend_histogram(m);
  for (const auto& s : stats) values.emplace_back(s.key, trend_stat_value(s, h, m.contains));
  for (const auto& [k, v] : last_value_wins(std::move(values))) {
    w.key(k);
    w.number(v);
  }
}

void write_metric(JsonWriter& w, const MetricSummary& m, const std::vector<TrendStat>& stats,
                  double duration_s) {
  w.begin_object();
  switch (m.type) {
    case MetricType::counter:
      w.key("count");
      w.number(to_k6_units(m.count, m.contains));
      w.key("rate");
      w.number(counter_rate(m, duration_s));
      break;
    case MetricType::gauge:
      w.key("value");
      w.number(to_k6_units(m.value, m.contains));
      w.key("min");
      w.number(to_k6_units(m.min, m.contains));
      w.key("max");
      w.number(to_k6_units(m.max, m.contains));
      break;
    case MetricType::rate:
      // k6 renames "rate" to "value" after the fact, which moves it behind passes and fails.
      w.key("passes");
      w.integer(m.nonzero);
      w.key("fails");
      w.integer(m.zero);
      w.key("value");
      w.number(rate_fraction(m));
      break;
    case MetricType::trend:
      write_trend(w, m, stats);
      break;
  }
  if (m.has_thresholds && !m.thresholds.empty()) {
    std::vector<std::pair<std::string, bool>> results;
    for (const auto& t : m.thresholds) results.emplace_back(t.expression, t.failed);
    w.key("thresholds");
    w.begin_object();
    for (const auto& [expr, failed] : last_value_wins(std::move(results))) {
      w.key(expr);
      w.boolean(failed);  // true means FAILED, as in k6's export
    }
    w.end_object();
  }
  w.end_object();
}

void write_root_group(JsonWriter& w, const RunReport& report) {
  w.begin_object();
  w.key("name");
  w.string("");
  w.key("path");
  w.string("");
  w.key("id");
  w.string(k6_id(""));
  w.key("groups");
  w.begin_object();
  w.end_object();
  w.key("checks");
  w.begin_object();
  std::vector<std::pair<std::string, const metrics::CheckSummary*>> checks;
  for (const auto& c : report.checks) checks.emplace_back(c.name, &c);
  for (const auto& [name, c] : last_value_wins(std::move(checks))) {
    const std::string path = "::" + name;
    w.key(name);
    w.begin_object();
    w.key("name");
    w.string(name);
    w.key("path");
    w.string(path);
    w.key("id");
    w.string(k6_id(path));
    w.key("passes");
    w.integer(c->passes);
    w.key("fails");
    w.integer(c->fails);
    w.end_object();
  }
  w.end_object();
  w.end_object();
}

void write_config_value(JsonWriter& w, const scv2::ConfigValue& v) {
  using K = scv2::ConfigValue::Kind;
  switch (v.kind) {
    case K::null: w.null(); break;
    case K::boolean: w.boolean(v.boolean); break;
    case K::number: w.number(v.number); break;
    case K::string: w.string(v.text); break;
    case K::array:
      w.begin_array();
      for (const auto& item : v.items) {
        w.element();
        write_config_value(w, item);
      }
      w.end_array();
      break;
    case K::object:
      w.begin_object();
      for (const auto& [key, member] : v.members) {
        w.key(key);
        write_config_value(w, member);
      }
      w.end_object();
      break;
  }
}

void write_control_phase(JsonWriter& w, const ControlPhaseInfo& c, bool setup) {
  w.begin_object();
  w.key("outcome");
  w.string(c.outcome);
  if (!c.error.empty()) {
    w.key("error");
    w.string(c.error);
  }
  w.key("models");
  w.integer(c.models);
  w.key(setup ? "models_ready" : "models_unloaded");
  w.integer(c.models_done);
  w.key(setup ? "pipelines_ready" : "pipelines_unloaded");
  w.integer(c.pipelines_done);
  if (!setup) {
    w.key("failed");
    w.integer(c.failed);
  }
  w.key("scheduler_calls");
  w.integer(c.rpcs);
  if (setup) {
    w.key("ready_probes");
    w.integer(c.probes);
    w.key("warmup_requests");
    w.integer(c.warmup_requests);
    w.key("warmup_failed");
    w.integer(c.warmup_failed);
    w.key("time_to_ready_s");
    w.begin_object();
    w.key("p(50)");
    w.number(c.ready_p50_s);
    w.key("p(95)");
    w.number(c.ready_p95_s);
    w.key("max");
    w.number(c.ready_max_s);
    w.end_object();
    if (c.time_to_ready) {
      w.key("time_to_ready_histogram");
      write_histogram(w, *c.time_to_ready);
    }
  }
  w.key("duration_s");
  w.number(c.duration_s);
  w.end_object();
}

void write_accounting(JsonWriter& w, const RequestAccounting& a) {
  w.begin_object();
  w.key("issued");
  w.integer(a.issued);
  w.key("ok");
  w.integer(a.ok);
  w.key("failed");
  w.integer(a.failed);
  w.key("timed_out");
  w.integer(a.timed_out);
  w.key("interrupted");
  w.integer(a.interrupted);
  w.end_object();
}

void write_inferload(JsonWriter& w, const RunReport& report, const std::vector<std::string>& trend_stats) {
  const RunInfo& info = report.info;
  w.begin_object();
  w.key("version");
  w.string(info.version.empty() ? INFERLOAD_VERSION : info.version);
  w.key("script");
  w.string(info.script);
  w.key("io_backend");
  w.string(info.io_backend);
  w.key("io_detail");
  w.string(info.io_detail);
  w.key("workers");
  w.number(info.workers);
  w.key("driver_cpu_seconds");
  w.number(info.driver_cpu_seconds);
  w.key("requests");
  write_accounting(w, info.requests);
  if (!info.sample_outputs.empty()) {
    w.key("samples");
    w.begin_object();
    w.key("outputs");
    write_strings(w, info.sample_outputs);
    w.key("rows_written");
    w.integer(info.sample_rows_written);
    w.key("rows_lost");
    w.integer(info.sample_rows_lost);
    w.key("writer_cpu_seconds");
    w.number(info.sample_writer_cpu_seconds);
    w.key("errors");
    write_strings(w, info.sample_errors);
    w.end_object();
  }
  if (info.scheduler_requests.issued > 0) {
    w.key("scheduler_requests");
    write_accounting(w, info.scheduler_requests);
  }
  w.key("failures");
  w.begin_array();
  for (const auto& f : info.failures) {
    w.element();
    w.begin_object();
    w.key("error_code");
    w.number(f.error_code);
    w.key("status");
    w.number(f.status);
    w.key("error");
    w.string(f.error);
    w.key("count");
    w.integer(f.count);
    w.end_object();
  }
  w.end_array();
  w.key("iterations_interrupted");
  w.integer(info.iterations_interrupted);
  w.key("driver_overloaded");
  w.boolean(!info.driver_overload.empty());
  w.key("driver_overload");
  write_strings(w, info.driver_overload);
  if (info.tls_full_handshakes + info.tls_resumed_handshakes > 0) {
    w.key("tls");
    w.begin_object();
    w.key("full_handshakes");
    w.integer(info.tls_full_handshakes);
    w.key("resumed_handshakes");
    w.integer(info.tls_resumed_handshakes);
    w.end_object();
  }
  if (info.grpc) {
    w.key("grpc");
    w.begin_object();
    w.key("connections");
    w.string(info.grpc_connections);
    w.key("connections_opened");
    w.integer(info.grpc_connections_opened);
    w.key("statuses");
    w.begin_object();
    for (const auto& [name, count] : info.grpc_statuses) {
      w.key(name);
      w.integer(count);
    }
    w.end_object();
    w.end_object();
  }
  if (info.kafka) {
    w.key("kafka");
    w.begin_object();
    w.key("mode");
    w.string(info.kafka_mode);
    w.key("bootstrap");
    w.string(info.kafka_bootstrap);
    w.key("late_replies");
    w.integer(info.kafka_late_replies);
    w.key("foreign_records");
    w.integer(info.kafka_foreign_records);
    w.end_object();
  }
  if (info.setup.ran) {
    w.key("setup");
    write_control_phase(w, info.setup, true);
  }
  if (info.teardown.ran) {
    w.key("teardown");
    write_control_phase(w, info.teardown, false);
  }
  w.key("test_run_duration_s");
  w.number(report.test_run_duration_s);
  write_merge_data(w, report, trend_stats);
  w.end_object();
}

}  // namespace

std::string k6_id(std::string_view path) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(path.data(), path.size(), digest, &len, EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("MD5 is unavailable in this OpenSSL build (needed for k6 check ids)");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

void write_summary_export(std::ostream& out, const RunReport& report,
                          const std::vector<std::string>& trend_stats) {
  const std::vector<TrendStat> stats = parse_trend_stats(trend_stats);

  const std::vector<const MetricSummary*> shown = reported_by_name(report.metrics);

  JsonWriter w(out);
  w.begin_object();
  w.key("root_group");
  write_root_group(w, report);
  w.key("metrics");
  w.begin_object();
  for (const auto* m : shown) {
    w.key(m->name);
    write_metric(w, *m, stats, report.test_run_duration_s);
  }
  w.end_object();
  if (report.info.setup_data) {
    w.key("setup_data");
    write_config_value(w, *report.info.setup_data);
  }
  w.key("inferload");
  write_inferload(w, report, trend_stats);
  w.end_object();
}

void write_summary_export_file(const std::string& path, const RunReport& report,
                               const std::vector<std::string>& trend_stats) {
  // Rendered first, so an invalid trend-stat list leaves an existing file untouched.
  std::ostringstream text;
  write_summary_export(text, report, trend_stats);

  std::ofstream file(path, std::ios::out | std::ios::trunc | std::ios::binary);
  if (!file) {
    throw std::runtime_error("cannot write summary export '" + path + "': " + std::strerror(errno));
  }
  file << text.view();
  file.close();
  if (!file) {
    throw std::runtime_error("cannot write summary export '" + path + "': " + std::strerror(errno));
  }
}

}  // namespace inferload::output
