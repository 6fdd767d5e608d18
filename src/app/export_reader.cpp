#include "inferload/app/export_reader.hpp"

#include "json_fields.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "inferload/output/histogram_encoding.hpp"
#include "inferload/output/merge_data.hpp"
#include "inferload/output/report_merge.hpp"
#include "inferload/output/threshold.hpp"
#include "inferload/output/threshold_results.hpp"

namespace inferload::app {
namespace {

using metrics::MetricSummary;
using metrics::MetricType;

metrics::Histogram read_histogram(const JsonFields& r, const json::object& o, const std::string& path) {
  metrics::Histogram::State s;
  const std::uint64_t count = r.u64_at(o, "count", path);
  s.min = r.i64(r.member(o, "min", path), JsonFields::at(path, "min"));
  s.max = r.i64(r.member(o, "max", path), JsonFields::at(path, "max"));
  s.clamped = r.u64_at(o, "clamped", path);
  try {
    s.sum = output::parse_decimal128(r.string_at(o, "sum", path));
  } catch (const std::invalid_argument& e) {
    r.fail(JsonFields::at(path, "sum"), e.what());
  }
  try {
    s.buckets = output::decode_buckets(r.string_at(o, "buckets", path));
  } catch (const std::invalid_argument& e) {
    r.fail(JsonFields::at(path, "buckets"), e.what());
  }
  metrics::Histogram h;
  try {
    h = metrics::Histogram::from_state(s);
  } catch (const std::invalid_argument& e) {
    r.fail(path, e.what());
  }
  if (h.count() != count) {
    r.fail(path, "the buckets hold " + std::to_string(h.count()) + " samples, not count " + std::to_string(count));
  }
  return h;
}

output::RequestAccounting read_accounting(const JsonFields& r, const json::object& o, const std::string& path) {
  output::RequestAccounting a;
  a.issued = r.u64_at(o, "issued", path);
  a.ok = r.u64_at(o, "ok", path);
  a.failed = r.u64_at(o, "failed", path);
  a.timed_out = r.u64_at(o, "timed_out", path);
  a.interrupted = r.u64_at(o, "interrupted", path);
  if (a.ok + a.failed + a.timed_out + a.interrupted != a.issued) {
    r.fail(path, "ok, failed, timed_out and interrupted do not add up to issued");
  }
  return a;
}

output::ControlPhaseInfo read_control_phase(const JsonFields& r, const json::object& o, const std::string& path, bool setup) {
  output::ControlPhaseInfo c;
  c.ran = true;
  c.outcome = r.string_at(o, "outcome", path);
  if (o.contains("error")) c.error = r.string_at(o, "error", path);
  c.models = r.u64_at(o, "models", path);
  c.models_done = r.u64_at(o, setup ? "models_ready" : "models_unloaded", path);
  c.pipelines_done = r.u64_at(o, setup ? "pipelines_ready" : "pipelines_unloaded", path);
  c.rpcs = r.u64_at(o, "scheduler_calls", path);
  c.duration_s = r.number_at(o, "duration_s", path);
  if (!setup) {
    c.failed = r.u64_at(o, "failed", path);
    return c;
  }
  c.probes = r.u64_at(o, "ready_probes", path);
  c.warmup_requests = r.u64_at(o, "warmup_requests", path);
  c.warmup_failed = r.u64_at(o, "warmup_failed", path);
  const std::string ready_path = JsonFields::at(path, "time_to_ready_s");
  const json::object& ready = r.object_at(o, "time_to_ready_s", path);
  c.ready_p50_s = r.number_at(ready, "p(50)", ready_path);
  c.ready_p95_s = r.number_at(ready, "p(95)", ready_path);
  c.ready_max_s = r.number_at(ready, "max", ready_path);
  if (o.contains("time_to_ready_histogram")) {
    const std::string hp = JsonFields::at(path, "time_to_ready_histogram");
    // From the exact histogram as the run computed them: a 17-digit JSON number may be read back
    // 1 ulp away (Boost.JSON's parser does not round every one correctly).
    output::set_time_to_ready(c, std::make_shared<const metrics::Histogram>(
                                     read_histogram(r, r.object_at(o, "time_to_ready_histogram", path), hp)));
  }
  return c;
}

scv2::ConfigValue read_config_value(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return {};
    case json::kind::bool_:
      return scv2::ConfigValue::of(v.get_bool());
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return scv2::ConfigValue::of(v.to_number<double>());
    case json::kind::string:
      return scv2::ConfigValue::of(std::string(v.get_string()));
    case json::kind::array: {
      std::vector<scv2::ConfigValue> items;
      for (const json::value& item : v.get_array()) items.push_back(read_config_value(item));
      return scv2::ConfigValue::array(std::move(items));
    }
    case json::kind::object: {
      std::vector<std::pair<std::string, scv2::ConfigValue>> members;
      for (const auto& kv : v.get_object()) members.emplace_back(std::string(kv.key()), read_config_value(kv.value()));
      return scv2::ConfigValue::object(std::move(members));
    }
  }
  return {};
}

MetricSummary read_metric(const JsonFields& r, const json::object& o, const std::string& path) {
  MetricSummary m;
  m.name = r.string_at(o, "name", path);
  const auto type = output::metric_type_from(r.string_at(o, "type", path));
  if (!type) r.fail(JsonFields::at(path, "type"), "not counter, gauge, rate or trend");
  m.type = *type;
  const auto kind = output::value_kind_from(r.string_at(o, "contains", path));
  if (!kind) r.fail(JsonFields::at(path, "contains"), "not default, time or data");
  m.contains = *kind;
  switch (m.type) {
    case MetricType::counter:
      m.count = r.number_at(o, "count", path);
      break;
    case MetricType::gauge:
      m.value = r.number_at(o, "value", path);
      m.min = r.number_at(o, "min", path);
      m.max = r.number_at(o, "max", path);
      break;
    case MetricType::rate:
      m.nonzero = r.u64_at(o, "passes", path);
      m.zero = r.u64_at(o, "fails", path);
      break;
    case MetricType::trend:
      m.trend = std::make_shared<const metrics::Histogram>(read_histogram(r, r.object_at(o, "histogram", path), JsonFields::at(path, "histogram")));
      break;
  }
  if (o.contains("thresholds")) {
    m.has_thresholds = true;
    const std::string tp = JsonFields::at(path, "thresholds");
    for (const std::string& expr : r.strings_at(o, "thresholds", path)) {
      try {
        output::parse_threshold(expr, m.type);
      } catch (const std::invalid_argument& e) {
        r.fail(tp, e.what());
      }
      m.thresholds.push_back({expr, false});
    }
  }
  if (o.contains("observed")) m.observed = r.boolean(o.at("observed"), JsonFields::at(path, "observed"));
  return m;
}

output::ScenarioShape read_scenario(const JsonFields& r, const json::object& o, const std::string& path) {
  output::ScenarioShape s;
  s.name = r.string_at(o, "name", path);
  s.executor = r.string_at(o, "executor", path);
  const std::string op = JsonFields::at(path, "options");
  for (const auto& kv : r.object_at(o, "options", path)) {
    s.options.emplace_back(std::string(kv.key()), r.string(kv.value(), JsonFields::at(op, kv.key())));
  }
  const std::string tp = JsonFields::at(path, "tags");
  for (const auto& kv : r.object_at(o, "tags", path)) s.tags[std::string(kv.key())] = r.string(kv.value(), JsonFields::at(tp, kv.key()));
  return s;
}

void read_run_info(const JsonFields& r, const json::object& il, output::RunInfo& info) {
  const std::string p = "inferload";
  info.version = r.string_at(il, "version", p);
  info.script = r.string_at(il, "script", p);
  info.io_backend = r.string_at(il, "io_backend", p);
  info.io_detail = r.string_at(il, "io_detail", p);
  info.workers = static_cast<int>(r.u64_at(il, "workers", p));
  info.driver_cpu_seconds = r.number_at(il, "driver_cpu_seconds", p);
  info.requests = read_accounting(r, r.object_at(il, "requests", p), JsonFields::at(p, "requests"));
  if (il.contains("samples")) {
    const std::string sp = JsonFields::at(p, "samples");
    const json::object& s = r.object_at(il, "samples", p);
    info.sample_outputs = r.strings_at(s, "outputs", sp);
    info.sample_rows_written = r.u64_at(s, "rows_written", sp);
    info.sample_rows_lost = r.u64_at(s, "rows_lost", sp);
    info.sample_writer_cpu_seconds = r.number_at(s, "writer_cpu_seconds", sp);
    info.sample_errors = r.strings_at(s, "errors", sp);
  }
  if (il.contains("scheduler_requests")) {
    info.scheduler_requests = read_accounting(r, r.object_at(il, "scheduler_requests", p), JsonFields::at(p, "scheduler_requests"));
  }
  const json::array& failures = r.array_at(il, "failures", p);
  for (std::size_t i = 0; i < failures.size(); ++i) {
    const std::string fp = JsonFields::index(JsonFields::at(p, "failures"), i);
    const json::object& f = r.object(failures[i], fp);
    info.failures.push_back({static_cast<int>(r.i64(r.member(f, "error_code", fp), JsonFields::at(fp, "error_code"))),
                             static_cast<int>(r.i64(r.member(f, "status", fp), JsonFields::at(fp, "status"))),
                             r.string_at(f, "error", fp), r.u64_at(f, "count", fp)});
  }
  info.iterations_interrupted = r.u64_at(il, "iterations_interrupted", p);
  info.driver_overload = r.strings_at(il, "driver_overload", p);
  if (il.contains("tls")) {
    const std::string tp = JsonFields::at(p, "tls");
    const json::object& t = r.object_at(il, "tls", p);
    info.tls_full_handshakes = r.u64_at(t, "full_handshakes", tp);
    info.tls_resumed_handshakes = r.u64_at(t, "resumed_handshakes", tp);
  }
  if (il.contains("grpc")) {
    const std::string gp = JsonFields::at(p, "grpc");
    const json::object& g = r.object_at(il, "grpc", p);
    info.grpc = true;
    info.grpc_connections = r.string_at(g, "connections", gp);
    info.grpc_connections_opened = r.u64_at(g, "connections_opened", gp);
    const std::string stp = JsonFields::at(gp, "statuses");
    for (const auto& kv : r.object_at(g, "statuses", gp)) {
      info.grpc_statuses.emplace_back(std::string(kv.key()), r.u64(kv.value(), JsonFields::at(stp, kv.key())));
    }
  }
  if (il.contains("kafka")) {
    const std::string kp = JsonFields::at(p, "kafka");
    const json::object& k = r.object_at(il, "kafka", p);
    info.kafka = true;
    info.kafka_mode = r.string_at(k, "mode", kp);
    info.kafka_bootstrap = r.string_at(k, "bootstrap", kp);
    info.kafka_late_replies = r.u64_at(k, "late_replies", kp);
    info.kafka_foreign_records = r.u64_at(k, "foreign_records", kp);
  }
  if (il.contains("setup")) info.setup = read_control_phase(r, r.object_at(il, "setup", p), JsonFields::at(p, "setup"), true);
  if (il.contains("teardown")) {
    info.teardown = read_control_phase(r, r.object_at(il, "teardown", p), JsonFields::at(p, "teardown"), false);
  }
  if (il.contains("merged_from")) info.merged_from = r.strings_at(il, "merged_from", p);
  const std::string tp = JsonFields::at(p, "test");
  const json::object& test = r.object_at(il, "test", p);
  if (r.string_at(test, "script", tp) != info.script) r.fail(JsonFields::at(tp, "script"), "is not inferload.script");
  const json::array& scenarios = r.array_at(test, "scenarios", tp);
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const std::string sp = JsonFields::index(JsonFields::at(tp, "scenarios"), i);
    info.scenarios.push_back(read_scenario(r, r.object(scenarios[i], sp), sp));
  }
}

void read_report(const JsonFields& r, const json::object& root, const json::object& il, ImportedExport& out) {
  output::RunReport& report = out.report;
  read_run_info(r, il, report.info);
  if (const json::value* setup_data = root.if_contains("setup_data")) report.info.setup_data = read_config_value(*setup_data);

  const std::string p = "inferload";
  const std::string sp = JsonFields::at(p, "test_run.spans");
  const json::array& spans = r.array_at(r.object_at(il, "test_run", p), "spans", JsonFields::at(p, "test_run"));
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const std::string ip = JsonFields::index(sp, i);
    const json::object& s = r.object(spans[i], ip);
    const output::TimeSpan span{r.i64(r.member(s, "start_unix_ns", ip), JsonFields::at(ip, "start_unix_ns")),
                                r.i64(r.member(s, "end_unix_ns", ip), JsonFields::at(ip, "end_unix_ns"))};
    if (span.end_ns < span.start_ns) r.fail(ip, "ends before it starts");
    if (!report.test_run_spans.empty() && span.start_ns <= report.test_run_spans.back().end_ns) {
      r.fail(ip, "overlaps or precedes the span before it");
    }
    report.test_run_spans.push_back(span);
  }
  report.test_run_duration_s = static_cast<double>(output::span_length(report.test_run_spans)) / 1e9;

  out.trend_stats = r.strings_at(il, "trend_stats", p);
  const json::array& checks = r.array_at(il, "checks", p);
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const std::string cp = JsonFields::index(JsonFields::at(p, "checks"), i);
    const json::object& c = r.object(checks[i], cp);
    report.checks.push_back({r.string_at(c, "name", cp), r.u64_at(c, "passes", cp), r.u64_at(c, "fails", cp)});
  }
  const json::array& metrics = r.array_at(il, "metrics", p);
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    const std::string mp = JsonFields::index(JsonFields::at(p, "metrics"), i);
    MetricSummary m = read_metric(r, r.object(metrics[i], mp), mp);
    for (const MetricSummary& other : report.metrics) {
      if (other.name == m.name) r.fail(mp, "metric " + m.name + " appears twice");
    }
    report.metrics.push_back(std::move(m));
  }
  // Over the same metrics and duration as the run, so the run's own verdicts come back.
  output::evaluate_thresholds(report);
}

}  // namespace

ImportedExport parse_summary_export(std::string_view text, const std::string& name) {
  json::error_code ec;
  const json::value doc = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) throw ExitError(kExitInvalidConfig, name + " is not a summary export: not JSON (" + ec.message() + ")");
  if (!doc.is_object()) throw ExitError(kExitInvalidConfig, name + " is not a summary export: not a JSON object");
  const json::object& root = doc.get_object();
  const json::value* il = root.if_contains("inferload");
  if (!il || !il->is_object()) {
    if (root.contains("metrics") && root.contains("root_group")) {
      throw ExitError(kExitInvalidConfig,
                      name + " is k6's summary export, not inferload's: it has no histograms to merge");
    }
    throw ExitError(kExitInvalidConfig, name + " is not a summary export: it has no \"inferload\" object");
  }
  const json::object& section = il->get_object();
  const json::value* layout = section.if_contains("histogram_layout");
  if (!layout) {
    const json::value* version = section.if_contains("version");
    std::string message = name;
    message.append(" was written by inferload");
    if (version && version->is_string()) message.append(" ").append(version->get_string());
    message.append(", whose exports carry no histograms to merge; run the test again with this inferload");
    throw ExitError(kExitInvalidConfig, message);
  }
  if (!layout->is_string() || layout->get_string() != output::kHistogramLayout) {
    throw ExitError(kExitInvalidConfig, name + ": inferload.histogram_layout " + json::serialize(*layout) +
                                            " is not this inferload's \"" + std::string(output::kHistogramLayout) + "\"");
  }
  const JsonFields reader(name);
  ImportedExport out;
  read_report(reader, root, section, out);
  return out;
}

ImportedExport read_summary_export(const std::string& path) {
  std::error_code dir_ec;
  if (std::filesystem::is_directory(path, dir_ec)) throw ExitError(kExitInvalidConfig, "cannot read " + path + ": it is a directory");
  std::ifstream file(path, std::ios::in | std::ios::binary);
  if (!file) throw ExitError(kExitInvalidConfig, "cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw ExitError(kExitInvalidConfig, "cannot read " + path + ": " + std::strerror(errno));
  return parse_summary_export(text.view(), path);
}

}  // namespace inferload::app
