#include "inferload/grpc/call.hpp"

#include <algorithm>
#include <utility>

namespace inferload::grpc {

const char* to_string(CallFailure f) noexcept {
  switch (f) {
    case CallFailure::none: return "none";
    case CallFailure::transport: return "transport";
    case CallFailure::refused: return "refused stream";
    case CallFailure::reset: return "stream reset";
    case CallFailure::protocol: return "protocol error";
    case CallFailure::http_status: return "HTTP status";
    case CallFailure::bad_content_type: return "bad content-type";
    case CallFailure::no_status: return "no grpc-status";
    case CallFailure::bad_status: return "malformed grpc-status";
    case CallFailure::cardinality: return "not one response message";
    case CallFailure::timeout: return "timeout";
    case CallFailure::interrupted: return "interrupted";
  }
  return "unknown";
}

StatusCode status_of_reset(http2::ErrorCode code) noexcept {
  switch (code) {
    case http2::ErrorCode::refused_stream: return StatusCode::unavailable;
    case http2::ErrorCode::cancel: return StatusCode::cancelled;
    case http2::ErrorCode::enhance_your_calm: return StatusCode::resource_exhausted;
    case http2::ErrorCode::inadequate_security: return StatusCode::permission_denied;
    default: return StatusCode::internal;
  }
}

StatusCode status_of_http(int http_status) noexcept {
  switch (http_status) {
    case 400: return StatusCode::internal;
    case 401: return StatusCode::unauthenticated;
    case 403: return StatusCode::permission_denied;
    case 404: return StatusCode::unimplemented;
    case 429:
    case 502:
    case 503:
    case 504: return StatusCode::unavailable;
    default: return StatusCode::unknown;
  }
}

CallResult result_without_stream(const http2::ConnectionPool::Acquired& a, Nanos start, Nanos now) noexcept {
  CallResult r;
  r.started_at = start;
  r.ended_at = std::max(now, start);
  using W = http2::Connection::WaitResult;
  if (a.result == W::interrupted) {
    r.failure = CallFailure::interrupted;
    r.net_failure = net::Failure::interrupted;
    r.status = StatusCode::cancelled;
  } else if (a.result == W::timed_out || a.end.failure == net::Failure::connect_timeout) {
    r.failure = CallFailure::timeout;
    r.net_failure = a.result == W::timed_out ? net::Failure::timeout : net::Failure::connect_timeout;
    r.status = StatusCode::deadline_exceeded;
  } else {
    r.failure = a.end.failure == net::Failure::protocol ? CallFailure::protocol : CallFailure::transport;
    r.net_failure = a.end.failure;
    r.sys_error = a.end.sys_error;
    r.status = a.end.failure == net::Failure::protocol ? StatusCode::internal : StatusCode::unavailable;
  }
  return r;
}

UnaryCall::UnaryCall(http2::Connection& connection, const RequestBytes& request, MessageReader& reader,
                     Nanos deadline, std::uint32_t owner, ResponseSink* sink, Responses responses) noexcept
    : conn_(connection),
      request_(request),
      reader_(reader),
      deadline_(deadline),
      sink_(sink),
      responses_(responses),
      timer_(&UnaryCall::on_timer, this) {
  timer_.set_owner(owner);
}

bool UnaryCall::await_ready() noexcept {
  result_.started_at = runtime::now_ns();
  reader_.reset();
  conn_.open(stream_, request_.header_block, request_.body, request_.body_pieces, request_.header_list_size);
  return ended_;
}

void UnaryCall::await_suspend(std::coroutine_handle<> h) noexcept {
  waiter_ = h;
  // Armed even without a deadline, so that a hard stop finds the call through the timers.
  conn_.reactor().timers().arm(timer_, deadline_);
}

void UnaryCall::on_header(std::string_view name, std::string_view value, bool trailers) noexcept {
    if (sink_) sink_->on_header(name, value, trailers);
    if (!trailers && name == ":status") {
      int v = 0;
      for (char c : value) v = (c >= '0' && c <= '9' && v < 1000) ? v * 10 + (c - '0') : 1000;
      result_.http_status = v;
    } else if (!trailers && name == "content-type") {
      grpc_content_type_ = value.starts_with("application/grpc");
    } else if (name == "grpc-status") {
      const ParsedStatus s = parse_status(value);
      has_status_ = true;
      status_well_formed_ = s.well_formed;
      status_ = s.code;
    } else if (sink_ && name == "grpc-message") {
      sink_->on_status_message(value);
    }
  }

bool UnaryCall::on_data(std::string_view data) noexcept {
    reader_.feed(data.data(), data.size());
    for (;;) {
      Message m;
      const ReadStatus st = reader_.next(m);
      if (st == ReadStatus::message) {
        ++result_.messages;
        if (sink_ && !sink_->on_message(m.payload)) {
          result_.message_error = MessageError::undecodable;
          return false;
        }
        continue;
      }
      if (st == ReadStatus::need_more) return true;
      result_.message_error = reader_.error();
      return false;
    }
  }

void UnaryCall::on_end(const http2::StreamEnd& end) noexcept {
    timer_.cancel();
    classify(end);
    finish();
  }

void UnaryCall::classify(const http2::StreamEnd& end) noexcept {
    CallResult& r = result_;
    switch (end.kind) {
      case http2::StreamEndKind::refused:
        r.failure = CallFailure::refused;
        r.h2_code = end.code;
        r.status = StatusCode::unavailable;
        return;
      case http2::StreamEndKind::reset:
        r.failure = CallFailure::reset;
        r.h2_code = end.code;
        r.status = status_of_reset(end.code);
        return;
      case http2::StreamEndKind::failed:
        r.net_failure = end.failure;
        r.sys_error = end.sys_error;
        r.h2_code = end.code;
        if (end.failure == net::Failure::protocol) {
          r.failure = CallFailure::protocol;
          r.status = r.message_error != MessageError::none ? status_of(r.message_error) : StatusCode::internal;
        } else if (end.failure == net::Failure::timeout) {
          r.failure = CallFailure::timeout;
          r.status = StatusCode::deadline_exceeded;
        } else if (end.failure == net::Failure::interrupted) {
          r.failure = CallFailure::interrupted;
          r.status = StatusCode::cancelled;
        } else {
          r.failure = CallFailure::transport;
          r.status = StatusCode::unavailable;
        }
        return;
      case http2::StreamEndKind::completed:
        break;
    }
    if (r.http_status != 200) {
      r.failure = CallFailure::http_status;
      r.status = status_of_http(r.http_status);
    } else if (!grpc_content_type_) {
      r.failure = CallFailure::bad_content_type;
      r.status = StatusCode::unknown;
    } else if (!has_status_) {
      r.failure = CallFailure::no_status;
      r.status = StatusCode::internal;
    } else if (!status_well_formed_) {
      r.failure = CallFailure::bad_status;
      r.status = StatusCode::unknown;
    } else if (const MessageError e = reader_.finish(); e != MessageError::none) {
      r.failure = CallFailure::protocol;
      r.message_error = e;
      r.status = status_of(e);
    } else {
      r.status = status_;
      if (status_ == StatusCode::ok && responses_ == Responses::one && r.messages != 1) {
        r.failure = CallFailure::cardinality;
        r.status = StatusCode::internal;
      }
    }
  }

void UnaryCall::on_timer(void* self, runtime::FireReason reason) noexcept {
    auto* c = static_cast<UnaryCall*>(self);
    c->conn_.cancel(c->stream_);
    const bool interrupted = reason == runtime::FireReason::interrupted;
    c->result_.failure = interrupted ? CallFailure::interrupted : CallFailure::timeout;
    c->result_.net_failure = interrupted ? net::Failure::interrupted : net::Failure::timeout;
    c->result_.status = interrupted ? StatusCode::cancelled : StatusCode::deadline_exceeded;
    c->finish();
  }

void UnaryCall::finish() noexcept {
    ended_ = true;
    result_.ended_at = std::max(conn_.reactor().now(), result_.started_at);
    if (waiter_) std::exchange(waiter_, {}).resume();
  }

runtime::Task<CallResult> unary_call(http2::Connection& connection, const RequestBytes& request,
                                     MessageReader& reader, Nanos deadline, std::uint32_t owner,
                                     ResponseSink* sink, Responses responses) {
  co_return co_await UnaryCall(connection, request, reader, deadline, owner, sink, responses);
}

}  // namespace inferload::grpc
