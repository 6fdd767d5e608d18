#include "inferload/scv2/scheduler_client.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "inferload/grpc/status.hpp"
#include "inferload/net/failure.hpp"
#include "inferload/scv2/grpc_targets.hpp"

namespace inferload::scv2 {
namespace {

// Collects what a control call answers: its messages (when they are wanted) and grpc-message.
class Collector final : public grpc::ResponseSink {
 public:
  explicit Collector(std::vector<std::string>* responses) : responses_(responses) {}
  bool on_message(std::string_view payload) noexcept override {
    if (!responses_) return true;
    try {
      responses_->emplace_back(payload);
    } catch (...) {
      return false;
    }
    return true;
  }
  void on_status_message(std::string_view value) noexcept override {
    try {
      message = grpc::decode_message(value);
    } catch (...) {
    }
  }
  std::string message;

 private:
  std::vector<std::string>* responses_;
};

}  // namespace

const std::vector<std::string>& control_methods() {
  static const std::vector<std::string> methods = [] {
    std::vector<std::string> m;
    for (const char* name : {"LoadModel", "UnloadModel", "ModelStatus", "LoadPipeline", "UnloadPipeline",
                             "PipelineStatus", "StartExperiment", "StopExperiment", "ExperimentStatus"}) {
      m.push_back(std::string("/seldon.mlops.scheduler.Scheduler/") + name);
    }
    for (const char* name : {"LoadModel", "UnloadModel"}) m.push_back(std::string("/seldon.mlops.proxy.SchedulerProxy/") + name);
    return m;
  }();
  return methods;
}

std::uint32_t control_method_index(std::string_view path) noexcept {
  const std::vector<std::string>& m = control_methods();
  return static_cast<std::uint32_t>(std::find(m.begin(), m.end(), path) - m.begin());
}

std::string RpcResult::describe() const {
  std::string s = grpc::to_string(call.status);
  if (!message.empty()) return s + ": " + message;
  switch (call.failure) {
    case grpc::CallFailure::none: return s;
    case grpc::CallFailure::transport:
    case grpc::CallFailure::timeout:
      if (call.net_failure != net::Failure::none) return s + ": " + net::k6_error_text(call.net_failure);
      break;
    default: break;
  }
  return s + ": " + grpc::to_string(call.failure);
}

SchedulerClient::SchedulerClient(runtime::Reactor& reactor, const net::ResolvedEndpoint& endpoint, std::string authority,
                                 runtime::Nanos call_timeout, metrics::ByteCounts* bytes)
    : reactor_(reactor), endpoint_(endpoint), authority_(std::move(authority)), call_timeout_(call_timeout) {
  pool_ = std::make_unique<http2::ConnectionPool>(reactor_, http2::ConnectionSettings{}, endpoint_, authority_, 1,
                                                  bytes);
}

SchedulerClient::~SchedulerClient() = default;

runtime::Task<RpcResult> SchedulerClient::unary(std::string_view path, std::string request, std::uint32_t owner) {
  co_return co_await call(path, std::move(request), nullptr, owner);
}

runtime::Task<RpcResult> SchedulerClient::stream(std::string_view path, std::string request,
                                                 std::vector<std::string>& responses, std::uint32_t owner) {
  co_return co_await call(path, std::move(request), &responses, owner);
}

runtime::Task<RpcResult> SchedulerClient::call(std::string_view path, std::string request,
                                               std::vector<std::string>* responses, std::uint32_t owner) {
  ++calls_;
  const runtime::Nanos start = reactor_.clock();
  const runtime::Nanos deadline = start + call_timeout_;
  const std::string timeout = grpc::format_timeout(call_timeout_);
  const http2::Header fields[] = {
      {":method", "POST"},
      {":scheme", "http"},
      {":path", path},
      {":authority", authority_},
      {"content-type", "application/grpc"},
      {"te", "trailers"},
      {"grpc-timeout", timeout},
  };
  std::string block;
  if (!make_stateless_encoder()->encode(fields, std::size(fields), block)) {
    throw std::runtime_error("HPACK: cannot encode the headers of " + std::string(path));
  }
  std::size_t header_list = 0;
  for (const http2::Header& h : fields) header_list += h.name.size() + h.value.size() + http2::kHeaderFieldOverhead;
  std::string body;
  grpc::append_message(request, body);

  grpc::RequestBytes bytes;
  bytes.header_block = block;
  bytes.body[0] = runtime::ConstBuffer{body.data(), body.size()};
  bytes.body_pieces = 1;
  bytes.header_list_size = header_list;

  RpcResult result;
  Collector collector(responses);
  const http2::ConnectionPool::Acquired a = co_await pool_->acquire(deadline, owner);
  if (!a.connection) {
    result.call = grpc::result_without_stream(a, start, reactor_.now());
    if (observer_) observer_(path, result);
    co_return result;
  }
  // Status replies are small, but a list of every model of a large cluster is not: the limit
  // is the scheduler's own (1000 MiB, section 6.5), not grpc's 4 MiB default.
  grpc::MessageReader reader(1000u << 20);
  result.call = co_await grpc::UnaryCall(*a.connection, bytes, reader, deadline, owner, &collector,
                                         responses ? grpc::Responses::stream : grpc::Responses::one);
  result.call.started_at = start;
  result.message = std::move(collector.message);
  if (observer_) observer_(path, result);
  co_return result;
}

runtime::Task<void> SchedulerClient::close(runtime::Nanos deadline) { co_await pool_->close(deadline); }

}  // namespace inferload::scv2
