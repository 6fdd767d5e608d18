#pragma once
// The control plane's gRPC client: calls on SCv2's scheduler (proto/scheduler.proto) or its
// proxy (proto/proxy.proto), on one HTTP/2 connection to SCHEDULER_ENDPOINT through inferload's
// own http2 and grpc code. Control calls are few and never measured as load, so each one encodes
// its header block when it is made; any number may be in flight at once on the connection.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inferload/grpc/call.hpp"
#include "inferload/http2/connection_pool.hpp"
#include "inferload/net/endpoint.hpp"
#include "inferload/runtime/task.hpp"

namespace inferload::scv2 {

struct RpcResult {
  grpc::CallResult call;
  std::string message;  // the server's grpc-message, decoded; empty when it sent none
  bool ok() const noexcept { return call.ok(); }
  // One line for errors: "FAILED_PRECONDITION: model m not found", "UNAVAILABLE: dial: connection refused".
  std::string describe() const;
};

// Every method a control plane may call, as "/package.Service/Method", in a fixed order: a
// sample record names one by its place here.
const std::vector<std::string>& control_methods();
// The place of `path` in control_methods(), or control_methods().size() when it is not there.
std::uint32_t control_method_index(std::string_view path) noexcept;

class SchedulerClient {
 public:
  // `authority` is SCHEDULER_ENDPOINT as given; every call ends by `call_timeout` at the latest
  // (k6's gRPC default is 2 minutes). `bytes`, when given, counts every byte of the connection.
  SchedulerClient(runtime::Reactor& reactor, const net::ResolvedEndpoint& endpoint, std::string authority,
                  runtime::Nanos call_timeout, metrics::ByteCounts* bytes = nullptr);
  ~SchedulerClient();
  SchedulerClient(const SchedulerClient&) = delete;
  SchedulerClient& operator=(const SchedulerClient&) = delete;

  // A unary RPC: `path` is "/package.Service/Method", `request` the serialized message. `owner`
  // is the VU making the call, 0 for none: a hard stop of that VU alone ends the call as
  // interrupted (runtime::TimerQueue::fire_interrupted_if). The result's duration runs from the
  // call being asked for, the wait for the connection included.
  runtime::Task<RpcResult> unary(std::string_view path, std::string request, std::uint32_t owner = 0);
  // A server-streaming RPC read to its end: every response message is appended to `responses`.
  runtime::Task<RpcResult> stream(std::string_view path, std::string request, std::vector<std::string>& responses,
                                  std::uint32_t owner = 0);
  // Drains the connection; waits until `deadline` at most.
  runtime::Task<void> close(runtime::Nanos deadline);

  std::uint64_t calls() const noexcept { return calls_; }
  // Told of every call as it ends, whatever its result.
  using Observer = std::function<void(std::string_view path, const RpcResult& result)>;
  void observe(Observer o) { observer_ = std::move(o); }

 private:
  runtime::Task<RpcResult> call(std::string_view path, std::string request, std::vector<std::string>* responses,
                                std::uint32_t owner);

  runtime::Reactor& reactor_;
  net::ResolvedEndpoint endpoint_;  // the pool keeps a reference to it
  std::string authority_;
  runtime::Nanos call_timeout_;
  std::unique_ptr<http2::ConnectionPool> pool_;
  std::uint64_t calls_ = 0;
  Observer observer_;
};

}  // namespace inferload::scv2
