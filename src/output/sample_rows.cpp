#include "inferload/output/sample_rows.hpp"

#include <time.h>

#include <algorithm>

#include "inferload/grpc/call.hpp"
#include "inferload/http1/error_code.hpp"
#include "inferload/kafka/request.hpp"
#include "inferload/tls/session.hpp"

namespace inferload::output {
namespace {

using metrics::SampleKind;
using metrics::SampleRecord;

constexpr MetricInfo kMetrics[] = {
    {"http_reqs", MetricType::counter, MetricContains::plain},
    {"http_req_duration", MetricType::trend, MetricContains::time},
    {"http_req_blocked", MetricType::trend, MetricContains::time},
    {"http_req_connecting", MetricType::trend, MetricContains::time},
    {"http_req_tls_handshaking", MetricType::trend, MetricContains::time},
    {"http_req_sending", MetricType::trend, MetricContains::time},
    {"http_req_waiting", MetricType::trend, MetricContains::time},
    {"http_req_receiving", MetricType::trend, MetricContains::time},
    {"http_req_failed", MetricType::rate, MetricContains::plain},
    {"checks", MetricType::rate, MetricContains::plain},
    {"data_sent", MetricType::counter, MetricContains::data},
    {"data_received", MetricType::counter, MetricContains::data},
    {"http_req_duration_intended", MetricType::trend, MetricContains::time},
    {"grpc_req_duration", MetricType::trend, MetricContains::time},
    {"grpc_req_duration_intended", MetricType::trend, MetricContains::time},
    {"iteration_duration", MetricType::trend, MetricContains::time},
    {"iterations", MetricType::counter, MetricContains::plain},
    {"schedule_lateness", MetricType::trend, MetricContains::time},
    {"dropped_iterations", MetricType::counter, MetricContains::plain},
    {"scheduler_req_duration", MetricType::trend, MetricContains::time},
    {"kafka_reqs", MetricType::counter, MetricContains::plain},
    {"kafka_req_duration", MetricType::trend, MetricContains::time},
    {"kafka_produce_duration", MetricType::trend, MetricContains::time},
    {"kafka_req_duration_intended", MetricType::trend, MetricContains::time},
    {"vus", MetricType::gauge, MetricContains::plain},
    {"vus_max", MetricType::gauge, MetricContains::plain},
};

enum M : std::size_t {
  kHttpReqs, kHttpDuration, kHttpBlocked, kHttpConnecting, kHttpTls, kHttpSending, kHttpWaiting, kHttpReceiving,
  kHttpFailed, kChecks, kDataSent, kDataReceived, kHttpIntended, kGrpcDuration, kGrpcIntended, kIterationDuration,
  kIterations, kLateness, kDropped, kSchedulerDuration, kKafkaReqs, kKafkaDuration, kKafkaProduce, kKafkaIntended,
  kVus, kVusMax,
};

constexpr double ms(Nanos ns) noexcept { return static_cast<double>(ns) / 1e6; }

constexpr std::string_view kGrpcName = "/inference.GRPCInferenceService/ModelInfer";

std::string_view phase_group(const SampleRecord& r) noexcept {
  return r.scenario == metrics::kTeardownPhase ? "::teardown" : "::setup";
}

}  // namespace

Nanos unix_offset_now() noexcept {
  timespec real{}, mono{};
  ::clock_gettime(CLOCK_REALTIME, &real);
  ::clock_gettime(CLOCK_MONOTONIC, &mono);
  return (static_cast<Nanos>(real.tv_sec) - static_cast<Nanos>(mono.tv_sec)) * 1'000'000'000 +
         (static_cast<Nanos>(real.tv_nsec) - static_cast<Nanos>(mono.tv_nsec));
}

const MetricInfo* SampleExpander::metric(std::string_view name) noexcept {
  for (const MetricInfo& m : kMetrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

SampleExpander::SampleExpander(SampleContext context) : c_(std::move(context)) {}

std::size_t SampleExpander::rows_of(SampleKind kind, std::size_t optional) noexcept {
  switch (kind) {
    case SampleKind::http: return 10 + optional;
    case SampleKind::grpc: return 2 + optional;
    case SampleKind::iteration: return 4 + optional;
    case SampleKind::dropped: return 1;
    case SampleKind::data: return 2;
    case SampleKind::scheduler: return 2;
    case SampleKind::kafka: return 3 + optional;
    case SampleKind::phase_http: return 9;
    case SampleKind::phase_grpc: return 1;
    case SampleKind::phase_data: return 2;
  }
  return 0;
}

const std::string& SampleExpander::target_name(TargetNames& cache,
                                               const std::function<std::string(std::uint32_t, std::uint32_t)>& names,
                                               std::uint32_t type, std::uint32_t id) {
  const std::uint64_t key = (static_cast<std::uint64_t>(type) << 32) | id;
  auto it = cache.find(key);
  if (it == cache.end()) {
    // Many models (up to 10^8) would fill memory: the cache is a window, not the whole table.
    if (cache.size() >= 65536) cache.clear();
    it = cache.emplace(key, names ? names(type, id) : std::string()).first;
  }
  return it->second;
}

void SampleExpander::add_scenario_tags(std::vector<Tag>& tags, std::size_t i) {
  ++tag_set_;  // called once each time the tags are built: a new set
  if (i >= c_.scenarios.size() || c_.scenarios[i].tags.empty()) return;
  for (const auto& [k, v] : c_.scenarios[i].tags) {
    // A scenario tag named as a system tag replaces it, as in k6.
    auto same = std::find_if(tags.begin(), tags.end(), [&](const Tag& t) { return t.name == k; });
    if (same != tags.end()) same->value = v;
    else tags.push_back({k, v});
  }
  std::sort(tags.begin(), tags.end(), [](const Tag& a, const Tag& b) { return a.name < b.name; });
}

void SampleExpander::emit(const std::vector<SampleSink*>& sinks, const MetricInfo* m, Nanos time, double value,
                          const std::vector<Tag>& tags, std::size_t& rows) {
  const SampleRow row{m, time, value, tags.data(), tags.size(), tag_set_, record_};
  for (SampleSink* s : sinks) s->write(row);
  ++rows;
}

std::size_t SampleExpander::expand(const SampleRecord& r, const std::vector<SampleSink*>& sinks) {
  std::size_t rows = 0;
  record_ = &r;
  const Nanos t = r.at + c_.unix_offset;
  const std::string_view scenario =
      r.scenario < c_.scenarios.size() ? std::string_view(c_.scenarios[r.scenario].name) : std::string_view("default");
  tags_.clear();
  switch (r.kind) {
    case SampleKind::http: {
      http_rows(r, "POST", target_name(urls_, c_.rest_url, r.target_type, r.target_id), "", scenario, sinks, rows);
      tags_.assign({{"check", c_.rest_check}, {"group", ""}, {"scenario", scenario}});
      add_scenario_tags(tags_, r.scenario);
      emit(sinks, &kMetrics[kChecks], t, r.status == 200 ? 1.0 : 0.0, tags_, rows);
      break;
    }
    case SampleKind::grpc: {
      status_ = std::to_string(r.status);
      tags_.push_back({"group", ""});
      tags_.push_back({"method", "ModelInfer"});
      tags_.push_back({"name", kGrpcName});
      tags_.push_back({"scenario", scenario});
      tags_.push_back({"service", "inference.GRPCInferenceService"});
      tags_.push_back({"status", status_});
      tags_.push_back({"url", c_.grpc_url});
      add_scenario_tags(tags_, r.scenario);
      emit(sinks, &kMetrics[kGrpcDuration], t, ms(r.duration), tags_, rows);
      if (r.intended >= 0) emit(sinks, &kMetrics[kGrpcIntended], t, ms(r.intended), tags_, rows);
      const bool ok = r.failure == static_cast<std::uint8_t>(grpc::CallFailure::none) &&
                      r.status == static_cast<std::uint16_t>(grpc::StatusCode::ok);
      tags_.assign({{"check", c_.grpc_check}, {"group", ""}, {"scenario", scenario}});
      add_scenario_tags(tags_, r.scenario);
      emit(sinks, &kMetrics[kChecks], t, ok ? 1.0 : 0.0, tags_, rows);
      break;
    }
    case SampleKind::iteration: {
      tags_.push_back({"group", ""});
      tags_.push_back({"scenario", scenario});
      add_scenario_tags(tags_, r.scenario);
      emit(sinks, &kMetrics[kDataSent], t, static_cast<double>(r.bytes_sent), tags_, rows);
      emit(sinks, &kMetrics[kDataReceived], t, static_cast<double>(r.bytes_received), tags_, rows);
      emit(sinks, &kMetrics[kIterationDuration], t, ms(r.duration), tags_, rows);
      emit(sinks, &kMetrics[kIterations], t, 1.0, tags_, rows);
      if (r.intended >= 0) emit(sinks, &kMetrics[kLateness], t, ms(r.intended), tags_, rows);
      break;
    }
    case SampleKind::data: {
      tags_.push_back({"group", ""});
      tags_.push_back({"scenario", scenario});
      add_scenario_tags(tags_, r.scenario);
      emit(sinks, &kMetrics[kDataSent], t, static_cast<double>(r.bytes_sent), tags_, rows);
      emit(sinks, &kMetrics[kDataReceived], t, static_cast<double>(r.bytes_received), tags_, rows);
      break;
    }
    case SampleKind::dropped: {
      tags_.push_back({"scenario", scenario});
      add_scenario_tags(tags_, r.scenario);
      emit(sinks, &kMetrics[kDropped], t, 1.0, tags_, rows);
      break;
    }
    case SampleKind::scheduler: {
      tags_.push_back({"group", ""});
      method_tags(r.target_id, &scenario);
      add_scenario_tags(tags_, r.scenario);
      emit(sinks, &kMetrics[kSchedulerDuration], t, ms(r.duration), tags_, rows);
      const std::string_view check =
          r.target_type < c_.control_checks.size() ? std::string_view(c_.control_checks[r.target_type]) : "";
      tags_.assign({{"check", check}, {"group", ""}, {"scenario", scenario}});
      add_scenario_tags(tags_, r.scenario);
      emit(sinks, &kMetrics[kChecks], t, r.passed ? 1.0 : 0.0, tags_, rows);
      break;
    }
    case SampleKind::kafka: kafka_rows(r, scenario, sinks, rows); break;
    case SampleKind::phase_http: {
      phase_url_ = c_.phase_url ? c_.phase_url(r.target_id, r.target_type == 1) : std::string();
      http_rows(r, r.target_type == 1 ? "POST" : "GET", phase_url_, phase_group(r), {}, sinks, rows);
      break;
    }
    case SampleKind::phase_grpc: {
      ++tag_set_;
      tags_.push_back({"group", phase_group(r)});
      method_tags(r.target_id, nullptr);
      emit(sinks, &kMetrics[kGrpcDuration], t, ms(r.duration), tags_, rows);
      break;
    }
    case SampleKind::phase_data: {
      ++tag_set_;
      tags_.push_back({"group", phase_group(r)});
      emit(sinks, &kMetrics[kDataSent], t, static_cast<double>(r.bytes_sent), tags_, rows);
      emit(sinks, &kMetrics[kDataReceived], t, static_cast<double>(r.bytes_received), tags_, rows);
      break;
    }
  }
  record_ = nullptr;
  return rows;
}

void SampleExpander::http_rows(const SampleRecord& r, std::string_view method, const std::string& url,
                               std::string_view group, std::string_view scenario,
                               const std::vector<SampleSink*>& sinks, std::size_t& rows) {
  const Nanos t = r.at + c_.unix_offset;
  http1::Exchange x;
  x.status = r.status;
  x.failure = static_cast<net::Failure>(r.failure);
  x.parse_error = static_cast<http1::ParseError>(r.detail);
  const int code = http1::k6_error_code(x);
  const bool expected = r.status >= 200 && r.status < 400;
  status_ = std::to_string(r.status);
  tags_.clear();
  if (code != 0) {
    error_ = http1::k6_error_text(x);
    error_code_ = std::to_string(code);
    tags_.push_back({"error", error_});
    tags_.push_back({"error_code", error_code_});
  }
  tags_.push_back({"expected_response", expected ? "true" : "false"});
  tags_.push_back({"group", group});
  tags_.push_back({"method", method});
  tags_.push_back({"name", url});
  // A request that got no response has no protocol, as in k6.
  tags_.push_back({"proto", r.status != 0 ? "HTTP/1.1" : ""});
  // Setup's and teardown's requests have no scenario tag at all, as in k6.
  if (!in_phase(r.kind)) tags_.push_back({"scenario", scenario});
  tags_.push_back({"status", status_});
  // Every request over TLS, a kept-alive connection's too, as k6 tags them.
  if (r.tls_version != 0) {
    tags_.push_back({"tls_version", tls::version_tag(static_cast<tls::Version>(0x0300 | r.tls_version))});
  }
  tags_.push_back({"url", url});
  if (in_phase(r.kind)) ++tag_set_;
  else add_scenario_tags(tags_, r.scenario);
  emit(sinks, &kMetrics[kHttpReqs], t, 1.0, tags_, rows);
  emit(sinks, &kMetrics[kHttpDuration], t, ms(r.duration), tags_, rows);
  emit(sinks, &kMetrics[kHttpBlocked], t, ms(r.blocked), tags_, rows);
  emit(sinks, &kMetrics[kHttpConnecting], t, ms(r.connecting), tags_, rows);
  emit(sinks, &kMetrics[kHttpTls], t, ms(r.tls_handshaking), tags_, rows);
  emit(sinks, &kMetrics[kHttpSending], t, ms(r.sending), tags_, rows);
  emit(sinks, &kMetrics[kHttpWaiting], t, ms(r.waiting), tags_, rows);
  emit(sinks, &kMetrics[kHttpReceiving], t, ms(r.receiving), tags_, rows);
  emit(sinks, &kMetrics[kHttpFailed], t, expected ? 0.0 : 1.0, tags_, rows);
  if (r.intended >= 0) emit(sinks, &kMetrics[kHttpIntended], t, ms(r.intended), tags_, rows);
}

void SampleExpander::kafka_rows(const SampleRecord& r, std::string_view scenario,
                                const std::vector<SampleSink*>& sinks, std::size_t& rows) {
  const Nanos t = r.at + c_.unix_offset;
  const auto fate = static_cast<kafka::Fate>(r.failure);
  const bool replied = fate == kafka::Fate::reply;
  // As a failed REST request's rows carry `error`: here the fate, since a Kafka failure has no
  // k6 text (its reason is in the summary's failures).
  if (!replied) tags_.push_back({"error", kafka::to_string(fate)});
  tags_.push_back({"group", ""});
  if (c_.kafka_model) tags_.push_back({"model", target_name(kafka_models_, c_.kafka_model, r.target_type, r.target_id)});
  // k6's `name` is what a request addressed (a URL, a gRPC method): here the topic.
  if (c_.kafka_topic) tags_.push_back({"name", target_name(kafka_topics_, c_.kafka_topic, r.target_type, r.target_id)});
  tags_.push_back({"scenario", scenario});
  add_scenario_tags(tags_, r.scenario);
  emit(sinks, &kMetrics[kKafkaReqs], t, 1.0, tags_, rows);
  emit(sinks, &kMetrics[kKafkaDuration], t, ms(r.duration), tags_, rows);
  if (r.sending >= 0) emit(sinks, &kMetrics[kKafkaProduce], t, ms(r.sending), tags_, rows);
  if (r.intended >= 0) emit(sinks, &kMetrics[kKafkaIntended], t, ms(r.intended), tags_, rows);
  tags_.assign({{"check", c_.kafka_check}, {"group", ""}, {"scenario", scenario}});
  add_scenario_tags(tags_, r.scenario);
  emit(sinks, &kMetrics[kChecks], t, replied ? 1.0 : 0.0, tags_, rows);
}

void SampleExpander::method_tags(std::uint32_t method, const std::string_view* scenario) {
  const std::string_view path =
      method < c_.control_methods.size() ? std::string_view(c_.control_methods[method]) : std::string_view();
  // "/package.Service/Method"
  const std::size_t slash = path.rfind('/');
  const std::string_view service = slash != std::string_view::npos && slash > 0 ? path.substr(1, slash - 1) : "";
  const std::string_view name = slash != std::string_view::npos ? path.substr(slash + 1) : path;
  method_url_ = c_.scheduler_endpoint;
  method_url_.append(path);
  tags_.push_back({"method", name});
  tags_.push_back({"name", path});
  if (scenario) tags_.push_back({"scenario", *scenario});
  tags_.push_back({"service", service});
  status_ = std::to_string(record_->status);
  tags_.push_back({"status", status_});
  tags_.push_back({"url", method_url_});
}

std::size_t SampleExpander::gauges(Nanos unix_time, double vus, double vus_max, const std::vector<SampleSink*>& sinks) {
  std::size_t rows = 0;
  record_ = nullptr;
  tags_.clear();
  ++tag_set_;
  emit(sinks, &kMetrics[kVus], unix_time, vus, tags_, rows);
  emit(sinks, &kMetrics[kVusMax], unix_time, vus_max, tags_, rows);
  return rows;
}

}  // namespace inferload::output
