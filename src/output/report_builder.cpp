#include "inferload/output/report_builder.hpp"

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "inferload/http1/error_code.hpp"
#include "inferload/kafka/request.hpp"
#include "inferload/runtime/duration.hpp"

#include "inferload/output/threshold.hpp"

namespace inferload::output {
namespace {

using metrics::MetricSummary;
using metrics::MetricType;
using metrics::ValueKind;

using metrics::counter_metric;
using metrics::rate_metric;

MetricSummary trend(std::string name, const metrics::Histogram& h) {
  return metrics::trend_metric(std::move(name), ValueKind::time, std::make_shared<const metrics::Histogram>(h));
}

MetricSummary gauge(std::string name, const load::GaugeStats& g) {
  return metrics::gauge_metric(std::move(name), g.value, g.min, g.max);
}

// The type of a built-in metric, for submetrics whose parent has no samples (k6 still reports a
// metric named in a threshold).
MetricSummary empty_like(const std::string& base, std::string name) {
  if (base == "http_req_duration" || base == "grpc_req_duration" || base == "iteration_duration" ||
      base == "grpc_req_duration_intended" || base == "schedule_lateness" || base == "scheduler_req_duration" ||
      base == "kafka_req_duration" || base == "kafka_req_duration_intended" || base == "kafka_produce_duration" ||
      base.rfind("http_req_", 0) == 0) {
    if (base != "http_req_failed") return metrics::trend_metric(std::move(name), ValueKind::time, nullptr);
    return rate_metric(std::move(name), 0, 0);
  }
  if (base == "checks") return rate_metric(std::move(name), 0, 0);
  if (base == "data_sent" || base == "data_received") return counter_metric(std::move(name), 0, ValueKind::data);
  if (base == "vus" || base == "vus_max") return gauge(std::move(name), {});
  return counter_metric(std::move(name), 0);
}

// Why a Kafka request failed, as a failure row says it. An empty reason is an error record
// without text, or one past the distinct reasons a worker keeps (scenario::KafkaFailures).
std::string kafka_failure_text(kafka::Fate fate, const std::string& reason) {
  const std::string given = reason.empty() ? "(no reason kept)" : reason;
  switch (fate) {
    case kafka::Fate::error_topic: return "kafka error topic: " + given;
    case kafka::Fate::produce_failed: return "kafka produce failed: " + given;
    case kafka::Fate::timed_out: return "kafka timeout: no reply before the deadline";
    case kafka::Fate::reply:
    case kafka::Fate::interrupted: break;
  }
  return std::string("kafka ") + kafka::to_string(fate);
}

// Each non-empty cell as the exchange it stands for, named by the same functions that tag samples.
std::vector<metrics::FailureSummary> failure_summaries(const scenario::FailureCounts& f, const scenario::GrpcMetrics& g,
                                                       const scenario::KafkaFailures& k) {
  std::vector<metrics::FailureSummary> out;
  auto add = [&](std::uint64_t count, const http1::Exchange& x) {
    if (count > 0) out.push_back({http1::k6_error_code(x), x.status, http1::k6_error_text(x), count});
  };
  for (std::size_t i = 0; i < f.by_failure.size(); ++i) {
    http1::Exchange x;
    x.failure = static_cast<net::Failure>(i);
    if (net::is_tls(x.failure) && net::tls_index(x.failure) < f.tls_reasons.size()) {
      x.tls_reason = &f.tls_reasons[net::tls_index(x.failure)];
    }
    add(f.by_failure[i], x);
  }
  for (std::size_t i = 0; i < f.by_parse_error.size(); ++i) {
    http1::Exchange x;
    x.failure = net::Failure::protocol;
    x.parse_error = static_cast<http1::ParseError>(i);
    add(f.by_parse_error[i], x);
  }
  for (std::size_t i = 0; i < f.by_status.size(); ++i) {
    http1::Exchange x;
    x.status = static_cast<int>(i);
    add(f.by_status[i], x);
  }
  // gRPC has no k6 error codes: a row names the status the call ended with and why.
  auto add_grpc = [&](std::uint64_t count, grpc::StatusCode status, const std::string& why) {
    if (count > 0) {
      out.push_back({0, static_cast<int>(status), std::string("grpc ") + grpc::to_string(status) + ": " + why, count});
    }
  };
  for (std::size_t i = 0; i < g.by_server_status.size(); ++i) {
    add_grpc(g.by_server_status[i], static_cast<grpc::StatusCode>(i), "status from the server");
  }
  for (std::size_t i = 0; i < g.by_net_failure.size(); ++i) {
    const auto nf = static_cast<net::Failure>(i);
    add_grpc(g.by_net_failure[i], grpc::StatusCode::unavailable, net::k6_error_text(nf));
  }
  for (std::size_t i = 1; i < g.by_failure.size(); ++i) {
    const auto kind = static_cast<grpc::CallFailure>(i);
    if (kind == grpc::CallFailure::transport) continue;
    const grpc::StatusCode st = kind == grpc::CallFailure::timeout   ? grpc::StatusCode::deadline_exceeded
                                : kind == grpc::CallFailure::refused ? grpc::StatusCode::unavailable
                                : kind == grpc::CallFailure::http_status || kind == grpc::CallFailure::bad_content_type ||
                                        kind == grpc::CallFailure::bad_status
                                    ? grpc::StatusCode::unknown
                                    : grpc::StatusCode::internal;
    add_grpc(g.by_failure[i], st, grpc::to_string(kind));
  }
  // Kafka has neither k6 codes nor statuses: the text alone says what went wrong.
  for (const scenario::KafkaFailures::Row& row : k.rows) {
    if (row.count > 0) out.push_back({0, 0, kafka_failure_text(row.fate, row.reason), row.count});
  }
  order_failures(out);
  return out;
}

// The metrics build_report makes: a threshold on any other name would watch a metric that never
// gets a sample, and pass or fail on nothing.
constexpr std::string_view kReportedMetrics[] = {
    "checks",
    "data_received",
    "data_sent",
    "dropped_iterations",
    "grpc_req_duration",
    "grpc_req_duration_intended",
    "http_req_blocked",
    "http_req_connecting",
    "http_req_duration",
    "http_req_duration_intended",
    "http_req_failed",
    "http_req_receiving",
    "http_req_sending",
    "http_req_tls_handshaking",
    "http_req_waiting",
    "http_reqs",
    "iteration_duration",
    "iterations",
    "kafka_produce_duration",
    "kafka_req_duration",
    "kafka_req_duration_intended",
    "kafka_reqs",
    "schedule_lateness",
    "scheduler_req_duration",
    "vus",
    "vus_max",
};

MetricType type_of(const std::string& base) { return empty_like(base, base).type; }

std::string base_name(const std::string& metric) { return metric.substr(0, metric.find('{')); }

}  // namespace

void order_failures(std::vector<metrics::FailureSummary>& failures) {
  std::stable_sort(failures.begin(), failures.end(), [](const auto& a, const auto& b) {
    if (a.count != b.count) return a.count > b.count;
    if (a.error_code != b.error_code) return a.error_code < b.error_code;
    return a.status < b.status;
  });
}

ScenarioShape scenario_shape(const load::ScenarioConfig& c) {
  using load::ExecutorKind;
  using runtime::format_go_duration;
  ScenarioShape shape{c.name, load::to_string(c.executor), {}, c.tags};
  auto add = [&](std::string name, runtime::Nanos d) { shape.options.emplace_back(std::move(name), format_go_duration(d)); };
  add("startTime", c.start_time);
  add("gracefulStop", c.graceful_stop);
  switch (c.executor) {
    case ExecutorKind::shared_iterations:
    case ExecutorKind::per_vu_iterations:
      add("maxDuration", c.duration);
      break;
    case ExecutorKind::constant_vus:
      add("duration", c.duration);
      break;
    case ExecutorKind::constant_arrival_rate:
      add("duration", c.duration);
      add("timeUnit", c.time_unit);
      break;
    case ExecutorKind::ramping_vus:
    case ExecutorKind::ramping_arrival_rate: {
      // A stage's target is a size; its duration is the test's.
      std::string stages;
      for (const load::Stage& st : c.stages) stages.append(stages.empty() ? "" : ",").append(format_go_duration(st.duration));
      shape.options.emplace_back("stages", stages);
      if (c.executor == ExecutorKind::ramping_vus) add("gracefulRampDown", c.graceful_ramp_down);
      else add("timeUnit", c.time_unit);
      break;
    }
  }
  return shape;
}

void check_threshold(const scv2::ThresholdDecl& threshold) {
  const std::string base = base_name(threshold.metric);
  if (std::find(std::begin(kReportedMetrics), std::end(kReportedMetrics), base) == std::end(kReportedMetrics)) {
    std::string known;
    for (std::string_view name : kReportedMetrics) known.append(known.empty() ? "" : ", ").append(name);
    throw std::invalid_argument("unknown metric '" + base + "' (inferload reports " + known + ")");
  }
  const std::string tag = threshold.metric.substr(base.size());
  if (!tag.empty() && !selector_pairs(tag)) {
    throw std::invalid_argument("malformed selector '" + tag + "' of metric '" + base +
                                "': expected {TAG:VALUE} or {TAG:VALUE,TAG:VALUE,...}");
  }
  for (const auto& expr : threshold.expressions) parse_threshold(expr, type_of(base));
}

void check_thresholds(const std::vector<scv2::ThresholdDecl>& thresholds) {
  for (const auto& decl : thresholds) check_threshold(decl);
}

namespace {

// k6's metrics of one set of samples: the whole run, or one scenario's (its {scenario:NAME}).
std::vector<MetricSummary> collect(const load::Shard& s, const scenario::ProtocolShard& protocols,
                                   std::uint64_t dropped_iterations) {
  const scenario::HttpReqMetrics& http = protocols.rest.http;
  const scenario::RestMetrics& rest = protocols.rest;
  const scenario::GrpcMetrics& grpc = protocols.grpc;
  const scenario::KafkaMetrics& kafka = protocols.kafka;
  const scenario::ControlMetrics& control = protocols.control;
  std::vector<MetricSummary> m;
  if (http.count > 0) {
    m.push_back(counter_metric("http_reqs", static_cast<double>(http.count)));
    m.push_back(rate_metric("http_req_failed", http.failed, http.count - http.failed));
    m.push_back(trend("http_req_duration", http.duration));
    m.push_back(trend("http_req_duration{expected_response:true}", http.duration_expected));
    m.push_back(trend("http_req_blocked", http.blocked));
    m.push_back(trend("http_req_connecting", http.connecting));
    m.push_back(trend("http_req_tls_handshaking", http.tls_handshaking));
    m.push_back(trend("http_req_sending", http.sending));
    m.push_back(trend("http_req_waiting", http.waiting));
    m.push_back(trend("http_req_receiving", http.receiving));
    if (http.duration_intended.count() > 0) m.push_back(trend("http_req_duration_intended", http.duration_intended));
  }
  if (grpc.calls > 0) {
    m.push_back(trend("grpc_req_duration", grpc.duration));
    if (grpc.duration_intended.count() > 0) m.push_back(trend("grpc_req_duration_intended", grpc.duration_intended));
  }
  if (kafka.reqs > 0) {
    m.push_back(counter_metric("kafka_reqs", static_cast<double>(kafka.reqs)));
    m.push_back(trend("kafka_req_duration", kafka.req_duration));
    if (kafka.produce_duration.count() > 0) m.push_back(trend("kafka_produce_duration", kafka.produce_duration));
    if (kafka.req_duration_intended.count() > 0) {
      m.push_back(trend("kafka_req_duration_intended", kafka.req_duration_intended));
    }
  }
  if (control.calls > 0) m.push_back(trend("scheduler_req_duration", control.duration));
  if (s.iterations > 0) {
    m.push_back(counter_metric("iterations", static_cast<double>(s.iterations)));
    m.push_back(trend("iteration_duration", s.iteration_duration));
  }
  if (s.schedule_lateness.count() > 0) m.push_back(trend("schedule_lateness", s.schedule_lateness));
  if (dropped_iterations > 0) m.push_back(counter_metric("dropped_iterations", static_cast<double>(dropped_iterations)));
  m.push_back(counter_metric("data_sent", static_cast<double>(s.data.sent), ValueKind::data));
  m.push_back(counter_metric("data_received", static_cast<double>(s.data.received), ValueKind::data));
  std::uint64_t passed = rest.checks_passed + grpc.checks_passed + kafka.checks_passed;
  std::uint64_t failed = rest.checks_failed + grpc.checks_failed + kafka.checks_failed;
  for (std::size_t i = 0; i < scenario::kControlChecks; ++i) {
    passed += control.passed[i];
    failed += control.failed[i];
  }
  if (passed + failed > 0) m.push_back(rate_metric("checks", passed, failed));
  return m;
}

// Whether every sample of the scenario carries all the pairs.
bool carries(const load::ScenarioConfig& c, const std::vector<std::pair<std::string, std::string>>& pairs) {
  for (const auto& [key, value] : pairs) {
    if (key == "scenario") {
      if (c.name != value) return false;
      continue;
    }
    const auto it = c.tags.find(key);
    if (it == c.tags.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace

RunReport build_report(const load::RunResult& result, const std::vector<ScenarioMeasures>& scenarios,
                       const std::vector<scv2::ThresholdDecl>& thresholds, const scv2::Script& script, RunInfo info) {
  const load::Shard& s = *result.totals;
  scenario::ProtocolShard all;
  for (const ScenarioMeasures& sm : scenarios) all.merge(*sm.protocols);
  const scenario::RestMetrics& rest = all.rest;
  const scenario::GrpcMetrics& grpc = all.grpc;
  const scenario::KafkaMetrics& kafka = all.kafka;
  RunReport r;
  r.test_run_duration_s = static_cast<double>(result.test_run_duration) / 1e9;
  r.metrics = collect(s, all, result.dropped_iterations);
  auto& m = r.metrics;
  // In the order an iteration first makes them: the loads and their waits, the inferences, the
  // unloads.
  auto control_checks = [&](bool after) {
    for (std::size_t i = 0; i < scenario::kControlChecks; ++i) {
      const auto check = static_cast<scenario::ControlCheck>(i);
      const std::uint64_t passes = all.control.passed[i];
      const std::uint64_t fails = all.control.failed[i];
      if (scenario::after_inference(check) == after && passes + fails > 0) {
        r.checks.push_back({scenario::check_name(check), passes, fails});
      }
    }
  };
  control_checks(false);
  if (rest.checks_passed + rest.checks_failed > 0) r.checks.push_back({script.check_name, rest.checks_passed, rest.checks_failed});
  if (grpc.checks_passed + grpc.checks_failed > 0) {
    r.checks.push_back({script.grpc_check_name, grpc.checks_passed, grpc.checks_failed});
  }
  if (kafka.checks_passed + kafka.checks_failed > 0) {
    r.checks.push_back({script.kafka_check_name, kafka.checks_passed, kafka.checks_failed});
  }
  control_checks(true);
  m.push_back(gauge("vus", result.vus));
  m.push_back(gauge("vus_max", result.vus_max));

  // Submetrics the thresholds register. Every sample carries its scenario's name as the tag
  // `scenario` and its scenario's own `tags` (there is no setup traffic in the measured
  // metrics), so a selector made of those tags, {scenario:NAME} or {team:a,scenario:b}, is the
  // sum of the scenarios that carry all of them, and one no scenario carries selects nothing.
  for (const auto& decl : thresholds) {
    const std::string base = base_name(decl.metric);
    MetricSummary sub = empty_like(base, decl.metric);
    const std::string tag = decl.metric.substr(base.size());
    if (tag.empty()) {
      for (const MetricSummary& parent : m) {
        if (parent.name == base) sub = parent;
      }
    } else if (const auto pairs = selector_pairs(tag)) {
      load::Shard shard;
      scenario::ProtocolShard protocols;
      std::uint64_t dropped = 0;
      bool any = false;
      // dropped_iterations carries `scenario` but not the scenarios' own tags (k6-semantics.md 2.4).
      const bool scenario_only = std::all_of(pairs->begin(), pairs->end(), [](const auto& p) { return p.first == "scenario"; });
      for (const ScenarioMeasures& sm : scenarios) {
        if (!carries(*sm.config, *pairs)) continue;
        any = true;
        shard.merge(*sm.shard);
        protocols.merge(*sm.protocols);
        if (scenario_only) dropped += sm.dropped_iterations;
      }
      if (any) {
        for (const MetricSummary& own : collect(shard, protocols, dropped)) {
          if (own.name == base) sub = own;
        }
      }
    }
    sub.name = decl.metric;
    sub.has_thresholds = true;
    for (const auto& expr : decl.expressions) {
      const ThresholdExpr e = parse_threshold(expr, sub.type);
      sub.thresholds.push_back({expr, !threshold_passes(e, sub, r.test_run_duration_s)});
    }
    if (tag.empty()) {
      // A threshold on a metric itself marks that metric rather than adding a second one.
      auto it = std::find_if(m.begin(), m.end(), [&](const MetricSummary& x) { return x.name == base; });
      if (it != m.end()) {
        *it = std::move(sub);
        continue;
      }
    }
    m.push_back(std::move(sub));
  }
  // k6 registers a submetric's parent with it: shown, with zeros if nothing was recorded.
  for (const auto& decl : thresholds) {
    const std::string base = base_name(decl.metric);
    if (base.size() == decl.metric.size()) continue;
    auto parent = std::find_if(m.begin(), m.end(), [&](const MetricSummary& x) { return x.name == base; });
    if (parent == m.end()) {
      m.push_back(empty_like(base, base));
      parent = m.end() - 1;
    }
    parent->observed = true;
  }

  info.requests = s.requests;
  info.scheduler_requests = all.control.requests;
  info.failures = failure_summaries(rest.failures, grpc, kafka.failures);
  info.grpc_statuses.clear();
  for (std::size_t i = 0; i < grpc.by_status.size(); ++i) {
    if (grpc.by_status[i] > 0) info.grpc_statuses.emplace_back(grpc::to_string(static_cast<grpc::StatusCode>(i)), grpc.by_status[i]);
  }
  info.iterations_interrupted = s.iterations_interrupted;
  info.scenarios.clear();
  for (const ScenarioMeasures& sm : scenarios) {
    if (sm.config) info.scenarios.push_back(scenario_shape(*sm.config));
  }
  r.info = std::move(info);
  return r;
}

}  // namespace inferload::output
