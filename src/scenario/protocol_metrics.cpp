#include "inferload/scenario/protocol_metrics.hpp"

#include <algorithm>
#include <string>

#include "inferload/runtime/clock.hpp"
#include "inferload/scv2/scheduler_client.hpp"

namespace inferload::scenario {
namespace {

// A gRPC call that did not succeed. A server that answers DEADLINE_EXCEEDED ran out of the time
// our grpc-timeout gave it: the same timeout, seen first by the other end (which one wins is a
// race).
metrics::RequestFate failed_fate(const grpc::CallResult& r) noexcept {
  return r.failure == grpc::CallFailure::timeout || r.net_failure == net::Failure::connect_timeout ||
                 r.status == grpc::StatusCode::deadline_exceeded
             ? metrics::RequestFate::timed_out
             : metrics::RequestFate::failed;
}

}  // namespace

namespace {

void keep_reason(std::string& kept, const std::string& reason) noexcept {
  if (!kept.empty() || reason.empty()) return;
  try {
    kept = reason;
  } catch (...) {
    // Without memory the summary names the kind alone.
  }
}

}  // namespace

void FailureCounts::record(const http1::Exchange& x) noexcept {
  if (x.failure == net::Failure::protocol) {
    ++by_parse_error[static_cast<std::size_t>(x.parse_error)];
  } else if (x.failure != net::Failure::none) {
    ++by_failure[static_cast<std::size_t>(x.failure)];
    if (net::is_tls(x.failure) && x.tls_reason) keep_reason(tls_reasons[net::tls_index(x.failure)], *x.tls_reason);
  } else {
    ++by_status[static_cast<unsigned>(x.status) < kStatuses ? static_cast<std::size_t>(x.status) : 0];
  }
}

void FailureCounts::merge(const FailureCounts& o) noexcept {
  for (std::size_t i = 0; i < kKinds; ++i) by_failure[i] += o.by_failure[i];
  for (std::size_t i = 0; i < kKinds; ++i) by_parse_error[i] += o.by_parse_error[i];
  for (std::size_t i = 0; i < kStatuses; ++i) by_status[i] += o.by_status[i];
  for (std::size_t i = 0; i < net::kTlsFailures; ++i) keep_reason(tls_reasons[i], o.tls_reasons[i]);
}

std::uint64_t FailureCounts::total() const noexcept {
  std::uint64_t n = 0;
  for (auto c : by_failure) n += c;
  for (auto c : by_parse_error) n += c;
  for (auto c : by_status) n += c;
  return n;
}

void HttpReqMetrics::merge(const HttpReqMetrics& o) noexcept {
  duration.merge(o.duration);
  blocked.merge(o.blocked);
  connecting.merge(o.connecting);
  tls_handshaking.merge(o.tls_handshaking);
  sending.merge(o.sending);
  waiting.merge(o.waiting);
  receiving.merge(o.receiving);
  duration_expected.merge(o.duration_expected);
  duration_intended.merge(o.duration_intended);
  count += o.count;
  failed += o.failed;
}

void RestMetrics::merge(const RestMetrics& o) noexcept {
  http.merge(o.http);
  failures.merge(o.failures);
  checks_passed += o.checks_passed;
  checks_failed += o.checks_failed;
}

void GrpcMetrics::merge(const GrpcMetrics& o) noexcept {
  duration.merge(o.duration);
  duration_intended.merge(o.duration_intended);
  calls += o.calls;
  for (std::size_t i = 0; i < kStatuses; ++i) by_status[i] += o.by_status[i];
  for (std::size_t i = 0; i < kKinds; ++i) by_failure[i] += o.by_failure[i];
  for (std::size_t i = 0; i < kKinds; ++i) by_net_failure[i] += o.by_net_failure[i];
  for (std::size_t i = 0; i < kStatuses; ++i) by_server_status[i] += o.by_server_status[i];
  checks_passed += o.checks_passed;
  checks_failed += o.checks_failed;
}

namespace {

void emit_rest(load::Shard& s, const http1::Exchange& x, runtime::Nanos intended, scv2::ModelPick pick) noexcept {
  metrics::SampleRecord r = rest_record(x);
  r.intended = intended;
  r.target_type = pick.type;
  r.target_id = pick.id;
  s.emit(r);
}

void emit_grpc(load::Shard& s, const grpc::CallResult& c, runtime::Nanos intended, scv2::ModelPick pick) noexcept {
  metrics::SampleRecord r;
  r.kind = metrics::SampleKind::grpc;
  r.at = c.ended_at;
  r.duration = c.duration();
  r.intended = intended;
  r.target_type = pick.type;
  r.target_id = pick.id;
  r.status = static_cast<std::uint16_t>(c.status);
  r.failure = static_cast<std::uint8_t>(c.failure);
  r.detail = static_cast<std::uint8_t>(c.net_failure);
  s.emit(r);
}

}  // namespace

metrics::SampleRecord rest_record(const http1::Exchange& x) noexcept {
  metrics::SampleRecord r;
  r.kind = metrics::SampleKind::http;
  r.at = x.ended_at;
  r.duration = x.timings.duration;
  r.blocked = x.timings.blocked;
  r.connecting = x.timings.connecting;
  r.tls_handshaking = x.timings.tls_handshaking;
  r.tls_version = static_cast<std::uint8_t>(static_cast<int>(x.tls_version) & 0xff);
  r.sending = x.timings.sending;
  r.waiting = x.timings.waiting;
  r.receiving = x.timings.receiving;
  r.status = static_cast<std::uint16_t>(x.status);
  r.failure = static_cast<std::uint8_t>(x.failure);
  r.detail = static_cast<std::uint8_t>(x.parse_error);
  return r;
}

metrics::RequestFate record_rest(ProtocolShard& p, load::Shard& s, const http1::Exchange& x,
                                 const load::IterationStart& start, scv2::ModelPick pick) noexcept {
  using metrics::RequestFate;
  s.data.sent += x.bytes_sent;
  s.data.received += x.bytes_received;
  if (x.failure == net::Failure::interrupted) {
    // k6 emits no request samples for a request cut off by a hard stop; it is still accounted.
    s.record_request(RequestFate::interrupted);
    return RequestFate::interrupted;
  }
  HttpReqMetrics& h = p.rest.http;
  ++h.count;
  h.duration.record(x.timings.duration);
  const runtime::Nanos intended = start.scheduled ? std::max<runtime::Nanos>(x.ended_at - start.intended, 0) : -1;
  if (start.scheduled) h.duration_intended.record(intended);
  if (s.samples) emit_rest(s, x, intended, pick);
  h.blocked.record(x.timings.blocked);
  h.connecting.record(x.timings.connecting);
  h.tls_handshaking.record(x.timings.tls_handshaking);
  h.sending.record(x.timings.sending);
  h.waiting.record(x.timings.waiting);
  h.receiving.record(x.timings.receiving);
  const bool expected = x.status >= 200 && x.status < 400;  // k6's default expected statuses
  if (expected) h.duration_expected.record(x.timings.duration);
  else ++h.failed;

  RequestFate fate = RequestFate::ok;
  if (x.status == 200) {  // the suite's check: "model http prediction success"
    ++p.rest.checks_passed;
  } else {
    ++p.rest.checks_failed;
    fate = x.failure == net::Failure::timeout || x.failure == net::Failure::connect_timeout ? RequestFate::timed_out
                                                                                              : RequestFate::failed;
    p.rest.failures.record(x);
  }
  s.record_request(fate, x.timings.duration);
  return fate;
}

metrics::RequestFate record_grpc(ProtocolShard& p, load::Shard& s, const grpc::CallResult& r,
                                 const load::IterationStart& start, scv2::ModelPick pick) noexcept {
  using metrics::RequestFate;
  if (r.failure == grpc::CallFailure::interrupted) {
    s.record_request(RequestFate::interrupted);
    return RequestFate::interrupted;
  }
  GrpcMetrics& g = p.grpc;
  ++g.calls;
  g.duration.record(r.duration());
  const runtime::Nanos intended = start.scheduled ? std::max<runtime::Nanos>(r.ended_at - start.intended, 0) : -1;
  if (start.scheduled) g.duration_intended.record(intended);
  if (s.samples) emit_grpc(s, r, intended, pick);
  ++g.by_status[static_cast<std::size_t>(r.status) < GrpcMetrics::kStatuses ? static_cast<std::size_t>(r.status) : 2];
  RequestFate fate = RequestFate::ok;
  if (r.ok()) {
    ++g.checks_passed;
  } else {
    ++g.checks_failed;
    ++g.by_failure[static_cast<std::size_t>(r.failure)];
    if (r.failure == grpc::CallFailure::transport) ++g.by_net_failure[static_cast<std::size_t>(r.net_failure)];
    if (r.failure == grpc::CallFailure::none) ++g.by_server_status[static_cast<std::size_t>(r.status)];
    fate = failed_fate(r);
  }
  s.record_request(fate, r.duration());
  return fate;
}

void KafkaFailures::record(kafka::Fate fate, std::string_view reason) noexcept {
  Row* overflow = nullptr;
  for (Row& r : rows) {
    if (r.fate != fate) continue;
    if (r.reason == reason) {
      ++r.count;
      return;
    }
    if (r.reason.empty()) overflow = &r;
  }
  std::size_t distinct = 0;
  for (const Row& r : rows) distinct += r.reason.empty() ? 0 : 1;
  if (!reason.empty() && distinct >= kMaxReasons) {
    if (overflow) {
      ++overflow->count;
      return;
    }
    reason = {};
  }
  try {
    rows.push_back({fate, std::string(reason), 1});
  } catch (...) {
    // Without memory the failure is still counted, by its fate, in by_fate.
  }
}

void KafkaFailures::merge(const KafkaFailures& o) noexcept {
  for (const Row& r : o.rows) {
    bool found = false;
    for (Row& mine : rows) {
      if (mine.fate == r.fate && mine.reason == r.reason) {
        mine.count += r.count;
        found = true;
        break;
      }
    }
    if (!found) {
      try {
        rows.push_back(r);
      } catch (...) {
      }
    }
  }
}

std::uint64_t KafkaFailures::total() const noexcept {
  std::uint64_t n = 0;
  for (const Row& r : rows) n += r.count;
  return n;
}

void KafkaMetrics::merge(const KafkaMetrics& o) noexcept {
  req_duration.merge(o.req_duration);
  req_duration_intended.merge(o.req_duration_intended);
  produce_duration.merge(o.produce_duration);
  reqs += o.reqs;
  for (std::size_t i = 0; i < by_fate.size(); ++i) by_fate[i] += o.by_fate[i];
  failures.merge(o.failures);
  checks_passed += o.checks_passed;
  checks_failed += o.checks_failed;
}

namespace {

// An error record's value is the server's text; a row of the summary shows a line of it.
std::string_view reason_line(std::string_view value) noexcept {
  constexpr std::size_t kMax = 200;
  const std::size_t nl = value.find('\n');
  if (nl != std::string_view::npos) value = value.substr(0, nl);
  return value.substr(0, std::min(value.size(), kMax));
}

}  // namespace

metrics::RequestFate record_kafka(ProtocolShard& p, load::Shard& s, const kafka::Outcome& o,
                                  const load::IterationStart& start, scv2::ModelPick pick) noexcept {
  using metrics::RequestFate;
  if (o.fate == kafka::Fate::interrupted) {
    s.record_request(RequestFate::interrupted);
    return RequestFate::interrupted;
  }
  KafkaMetrics& k = p.kafka;
  // A reply's time is when the consumer read it, even if the request ended later, at its
  // delivery report; a request without a reply ends now, at its deadline or its refusal.
  runtime::Nanos ended = o.replied_at;
  if (!ended) ended = o.fate == kafka::Fate::produce_failed && o.delivered_at ? o.delivered_at : runtime::now_ns();
  const runtime::Nanos duration = std::max<runtime::Nanos>(ended - o.started, 0);
  ++k.reqs;
  ++k.by_fate[static_cast<std::size_t>(o.fate) & 7];
  k.req_duration.record(duration);
  const runtime::Nanos produce = o.produce_duration();
  if (produce >= 0) k.produce_duration.record(produce);
  const runtime::Nanos intended = start.scheduled ? std::max<runtime::Nanos>(ended - start.intended, 0) : -1;
  if (start.scheduled) k.req_duration_intended.record(intended);
  if (s.samples) {
    metrics::SampleRecord r;
    r.kind = metrics::SampleKind::kafka;
    r.at = ended;
    r.duration = duration;
    r.sending = produce;
    r.intended = intended;
    r.target_type = pick.type;
    r.target_id = pick.id;
    r.failure = static_cast<std::uint8_t>(o.fate);
    s.emit(r);
  }
  RequestFate fate = RequestFate::ok;
  switch (o.fate) {
    case kafka::Fate::reply:
      ++k.checks_passed;
      break;
    case kafka::Fate::error_topic:
      fate = RequestFate::failed;
      k.failures.record(o.fate, reason_line(o.value));
      break;
    case kafka::Fate::produce_failed:
      fate = RequestFate::failed;
      k.failures.record(o.fate, o.error_name ? std::string_view(o.error_name) : std::string_view());
      break;
    default:
      fate = RequestFate::timed_out;
      k.failures.record(o.fate, {});
      break;
  }
  if (fate != RequestFate::ok) ++k.checks_failed;
  s.record_request(fate, duration);
  return fate;
}

const char* check_name(ControlCheck c) noexcept {
  switch (c) {
    case ControlCheck::load_model: return "load model success";
    case ControlCheck::model_status: return "model status success";
    case ControlCheck::pipeline_load: return "pipeline load success";
    case ControlCheck::pipeline_status: return "pipeline status success";
    case ControlCheck::start_experiment: return "start experiment success";
    case ControlCheck::experiment_status: return "experiment status success";
    case ControlCheck::unload_model: return "unload model success";
    case ControlCheck::pipeline_unload: return "pipeline unload success";
    case ControlCheck::stop_experiment: return "stop experiment success";
  }
  return "unknown check";
}

void ControlMetrics::merge(const ControlMetrics& o) noexcept {
  duration.merge(o.duration);
  calls += o.calls;
  for (std::size_t i = 0; i < kControlChecks; ++i) passed[i] += o.passed[i];
  for (std::size_t i = 0; i < kControlChecks; ++i) failed[i] += o.failed[i];
  requests.merge(o.requests);
}

std::uint32_t method_of(ControlCheck c) noexcept {
  static const std::array<std::uint32_t, kControlChecks> methods = [] {
    std::array<std::uint32_t, kControlChecks> m{};
    auto set = [&](ControlCheck check, const char* method) {
      m[static_cast<std::size_t>(check)] =
          scv2::control_method_index(std::string("/seldon.mlops.scheduler.Scheduler/") + method);
    };
    set(ControlCheck::load_model, "LoadModel");
    set(ControlCheck::model_status, "ModelStatus");
    set(ControlCheck::pipeline_load, "LoadPipeline");
    set(ControlCheck::pipeline_status, "PipelineStatus");
    set(ControlCheck::start_experiment, "StartExperiment");
    set(ControlCheck::experiment_status, "ExperimentStatus");
    set(ControlCheck::unload_model, "UnloadModel");
    set(ControlCheck::pipeline_unload, "UnloadPipeline");
    set(ControlCheck::stop_experiment, "StopExperiment");
    return m;
  }();
  return methods[static_cast<std::size_t>(c)];
}

metrics::RequestFate record_control(ControlMetrics& c, ControlCheck check, const grpc::CallResult& r, bool passed,
                                    load::Shard* s) noexcept {
  using metrics::RequestFate;
  RequestFate fate = RequestFate::ok;
  if (r.failure == grpc::CallFailure::interrupted) {
    fate = RequestFate::interrupted;
  } else {
    ++c.calls;
    c.duration.record(r.duration());
    ++(passed ? c.passed : c.failed)[static_cast<std::size_t>(check)];
    if (!r.ok()) fate = failed_fate(r);
    if (s != nullptr && s->samples != nullptr) {
      metrics::SampleRecord x;
      x.kind = metrics::SampleKind::scheduler;
      x.at = r.ended_at;
      x.duration = r.duration();
      x.target_type = static_cast<std::uint32_t>(check);
      x.target_id = method_of(check);
      x.status = static_cast<std::uint16_t>(r.status);
      x.failure = static_cast<std::uint8_t>(r.failure);
      x.detail = static_cast<std::uint8_t>(r.net_failure);
      x.passed = passed;
      s->emit(x);
    }
  }
  c.requests.add(fate);
  return fate;
}

}  // namespace inferload::scenario
