#pragma once
// One gRPC call (doc/PROTOCOL-HTTP2.md) on an HTTP/2 stream: the request goes out as a
// pre-encoded header block and a length-prefixed message, and the response's headers, messages
// and trailers decide the status. Success is status OK with exactly one message for a unary RPC,
// any number for a server-streaming one. Failures that
// bring no grpc-status get the status grpc-go (k6's gRPC client) would report, so the status
// tag means the same as k6's.
#include <coroutine>
#include <cstdint>
#include <string_view>

#include "inferload/grpc/message.hpp"
#include "inferload/grpc/status.hpp"
#include "inferload/http2/connection.hpp"
#include "inferload/http2/connection_pool.hpp"
#include "inferload/runtime/task.hpp"

namespace inferload::grpc {

using runtime::Nanos;

// A request as it goes on the wire, built once before the run: the HPACK block (encoded without
// the dynamic table, so any connection can carry it) and the body (prefix + message) in up to
// two pieces.
struct RequestBytes {
  std::string_view header_block;
  runtime::ConstBuffer body[2] = {};
  std::size_t body_pieces = 0;
  std::size_t header_list_size = 0;  // RFC 9113 10.5.1, for the server's limit
};

// Why a call did not end with a status from the server, beyond the status it maps to.
enum class CallFailure : std::uint8_t {
  none,            // the server answered with a grpc-status (which may not be OK)
  transport,       // the connection failed or was not to be had: `net_failure` says why
  refused,         // REFUSED_STREAM or above GOAWAY's last stream id: not processed
  reset,           // the server reset the stream (`h2_code`)
  protocol,        // HTTP/2 or gRPC framing broke (`h2_code`, `message_error`)
  http_status,     // a response without gRPC status: `http_status` is not 200
  bad_content_type,
  no_status,       // the stream ended without grpc-status
  bad_status,      // grpc-status is not a number 0..16
  cardinality,     // status OK but not exactly one response message
  timeout,
  interrupted,
};

const char* to_string(CallFailure f) noexcept;

struct CallResult {
  StatusCode status = StatusCode::unknown;  // k6's status tag
  CallFailure failure = CallFailure::none;
  net::Failure net_failure = net::Failure::none;
  int sys_error = 0;
  http2::ErrorCode h2_code = http2::ErrorCode::no_error;
  MessageError message_error = MessageError::none;
  int http_status = 0;
  std::uint32_t messages = 0;
  Nanos started_at = 0;
  Nanos ended_at = 0;

  bool ok() const noexcept { return failure == CallFailure::none && status == StatusCode::ok; }
  Nanos duration() const noexcept { return ended_at > started_at ? ended_at - started_at : 0; }
};

// The result of a call that never got a stream, from why the pool had no connection for it
// (`started_at` = start, `ended_at` = now).
CallResult result_without_stream(const http2::ConnectionPool::Acquired& a, Nanos start, Nanos now) noexcept;

// grpc-go's mapping of an RST_STREAM code to a status (internal/transport/http_util.go).
StatusCode status_of_reset(http2::ErrorCode code) noexcept;
// grpc-go's mapping of a non-200 HTTP status without grpc-status.
StatusCode status_of_http(int http_status) noexcept;

// Receives a call's response messages as they are read: for calls whose answers matter (the
// control plane's), not for the load, whose calls only count their messages.
class ResponseSink {
 public:
  // `payload` is valid only during the call. Returning false ends the call as a protocol failure
  // (a message that cannot be decoded).
  virtual bool on_message(std::string_view payload) noexcept = 0;
  // The server's grpc-message, still percent-encoded (grpc::decode_message), when it sends one.
  virtual void on_status_message(std::string_view) noexcept {}
  // Every response header and trailer field, for those that show them (--http-debug).
  virtual void on_header(std::string_view, std::string_view, bool /*trailers*/) noexcept {}

 protected:
  ~ResponseSink() = default;
};

// How many response messages a successful call has: a unary RPC exactly one, a server-streaming
// RPC any number (its end is the end of the stream).
enum class Responses : std::uint8_t { one, stream };

// One unary call, embedded in the awaiting coroutine's frame (no frame of its own: 100,000 VUs
// each hold one while their call is in flight). co_await opens the stream on `connection`, which
// must be able to open one now, and resumes with the result. `reader` is the caller's, reused
// from call to call so that its buffer is allocated once. `owner` is the calling VU: a hard stop
// of that VU alone ends the call as interrupted and resets its stream (CANCEL), as a timeout
// does, leaving the connection to the other calls on it.
class UnaryCall final : private http2::StreamHandler {
 public:
  UnaryCall(http2::Connection& connection, const RequestBytes& request, MessageReader& reader,
            Nanos deadline, std::uint32_t owner = 0, ResponseSink* sink = nullptr,
            Responses responses = Responses::one) noexcept;
  UnaryCall(const UnaryCall&) = delete;
  UnaryCall& operator=(const UnaryCall&) = delete;

  bool await_ready() noexcept;
  void await_suspend(std::coroutine_handle<> h) noexcept;
  CallResult await_resume() const noexcept { return result_; }

 private:
  void on_header(std::string_view name, std::string_view value, bool trailers) noexcept override;
  bool on_data(std::string_view data) noexcept override;
  void on_end(const http2::StreamEnd& end) noexcept override;
  void classify(const http2::StreamEnd& end) noexcept;
  static void on_timer(void* self, runtime::FireReason reason) noexcept;
  void finish() noexcept;

  http2::Connection& conn_;
  const RequestBytes& request_;
  MessageReader& reader_;
  Nanos deadline_;
  ResponseSink* sink_;
  Responses responses_;
  runtime::Timer timer_;
  http2::Stream stream_{*this};
  std::coroutine_handle<> waiter_;
  CallResult result_;
  StatusCode status_ = StatusCode::unknown;
  bool grpc_content_type_ = false;
  bool has_status_ = false;
  bool status_well_formed_ = false;
  bool ended_ = false;
};

// The same as a Task, for callers that would rather not hold the call in their own frame.
runtime::Task<CallResult> unary_call(http2::Connection& connection, const RequestBytes& request,
                                     MessageReader& reader, Nanos deadline, std::uint32_t owner = 0,
                                     ResponseSink* sink = nullptr, Responses responses = Responses::one);

}  // namespace inferload::grpc
