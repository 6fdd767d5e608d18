#include "inferload/http1/client.hpp"

#include <algorithm>
#include <cerrno>

namespace inferload::http1 {

Client::Client(runtime::Reactor& reactor, const net::ResolvedEndpoint& endpoint, Nanos timeout, const tls::Peer* tls)
    : tls_(tls && *tls ? std::make_unique<tls::Connector>(*tls) : nullptr),
      stream_(reactor),
      endpoint_(endpoint),
      timeout_(timeout) {
  stream_.set_opener(tls_.get());
}

WireBytes Client::take_wire_bytes() noexcept {
  const WireBytes now{wire_sent(), wire_received()};
  const WireBytes since{now.sent - reported_.sent, now.received - reported_.received};
  reported_ = now;
  return since;
}

runtime::Task<int> Client::connect(Nanos deadline) {
  if (stream_.reusable()) co_return 0;
  const int err = co_await stream_.connect(endpoint_, deadline);
  if (err != 0) {
    stream_.close();
    co_return err;
  }
  ++connections_opened_;
  co_return 0;
}

runtime::Task<Exchange> Client::exchange(const RequestTemplate& request) {
  runtime::Reactor& reactor = stream_.reactor();
  Exchange x;
  const Nanos t0 = runtime::now_ns();
  const Nanos deadline = timeout_ > 0 ? t0 + timeout_ : runtime::kNever;
  x.started_at = t0;
  auto finish = [&](Nanos end) {
    x.ended_at = end;
    const WireBytes b = take_wire_bytes();
    x.bytes_sent = b.sent;
    x.bytes_received = b.received;
  };

  // t1: a connection is ready to take the request.
  Nanos t1 = t0;
  if (!stream_.reusable()) {
    const int err = co_await stream_.connect(endpoint_, deadline);
    t1 = std::max(reactor.now(), t0);
    x.timings.blocked = t1 - t0;
    x.timings.connecting = t1 - t0;
    if (tls_) {
      // k6 splits the dial: TCP's connect, then the handshake; blocked covers both.
      const tls::Handshake& h = tls_->last();
      if (h.tcp_connected_at > 0) {
        x.timings.connecting = std::clamp(h.tcp_connected_at - t0, Nanos{0}, t1 - t0);
        // A failed handshake took until the failure was known.
        const Nanos done = h.done_at > 0 ? h.done_at : t1;
        x.timings.tls_handshaking = std::clamp(done - t0, Nanos{0}, t1 - t0) - x.timings.connecting;
      }
    }
    if (err != 0) {
      x.failure = tls::classify_failure(tls_.get(), err, true);
      x.sys_error = err;
      if (tls_ && net::is_tls(x.failure)) x.tls_reason = &tls_->last().reason;
      stream_.close();
      finish(t1);
      co_return x;
    }
    ++connections_opened_;
  }

  if (tls_) x.tls_version = tls_->last().version;

  const runtime::ConstBuffer buffers[2] = {
      {request.head.data(), request.head.size()},
      {request.body ? request.body->data() : nullptr, request.body ? request.body->size() : 0},
  };
  const runtime::ConstBuffer wire{request.wire.data(), request.wire.size()};
  const int send_err = !request.wire.empty() ? stream_.start_send(&wire, 1)
                                             : stream_.start_send(buffers, request.body && !request.body->empty() ? 2 : 1);
  if (send_err != 0) {
    x.failure = tls::classify_failure(tls_.get(), send_err, false);
    x.sys_error = send_err;
    stream_.close();
    finish(runtime::now_ns());
    co_return x;
  }

  std::uint64_t debug_id = 0;
  if (debug_) {
    debug_id = debug_->next_id();
    std::string text = request.head;
    if (debug_->full() && request.body) text += *request.body;
    debug_->record("Request:", text, debug_id, debug_vu_, "HTTP/1.1");
    debug_response_.clear();
  }

  parser_.reset();
  Nanos first_byte = 0;
  Nanos end = 0;
  for (;;) {
    const net::RecvResult r = co_await stream_.recv(deadline);
    end = std::max(reactor.now(), t0);
    if (r.status == net::RecvStatus::data) {
      if (first_byte == 0) first_byte = end;
      if (debug_ && debug_response_.size() < 2 * net::DebugLog::kMaxBody) {
        debug_response_.append(r.data, std::min(r.len, 2 * net::DebugLog::kMaxBody - debug_response_.size()));
      }
      const std::size_t used = parser_.feed(r.data, r.len);
      if (parser_.failed()) {
        x.failure = net::Failure::protocol;
        x.parse_error = parser_.error();
        stream_.close();
        break;
      }
      if (parser_.complete()) {
        // Bytes beyond the response were never asked for: the connection cannot be trusted.
        if (used < r.len || !parser_.keep_alive()) stream_.close();
        break;
      }
      continue;
    }
    if (r.status == net::RecvStatus::eof) {
      parser_.feed_eof();
      stream_.close();
      if (parser_.complete()) break;
      // A connection closed before any byte of the response is the peer dropping us, which is
      // also how a dead server looks; a partial response is a protocol failure.
      x.failure = parser_.started() ? net::Failure::protocol : net::Failure::closed;
      x.parse_error = parser_.started() ? parser_.error() : ParseError::none;
      break;
    }
    stream_.close();
    if (r.status == net::RecvStatus::timed_out) {
      x.failure = net::Failure::timeout;
    } else if (r.status == net::RecvStatus::interrupted) {
      x.failure = net::Failure::interrupted;
    } else {
      x.failure = tls::classify_failure(tls_.get(), r.error, false);
      x.sys_error = r.error;
    }
    break;
  }

  if (tls_ && net::is_tls(x.failure)) x.tls_reason = &tls_->last().reason;
  if (x.failure == net::Failure::none || parser_.headers_done()) x.status = parser_.headers_done() ? parser_.status() : 0;
  if (x.failure != net::Failure::none) x.status = 0;

  // k6's decomposition (lib/netext/httpext/tracer.go): sending t1..t2, waiting t2..t3 (or t2..t4
  // when no byte arrived), receiving t3..t4.
  Nanos t2 = stream_.send_done_at();
  if (t2 == 0 || t2 > end) t2 = first_byte ? first_byte : end;
  t2 = std::max(t2, t1);
  x.timings.sending = t2 - t1;
  if (first_byte) {
    x.timings.waiting = std::max<Nanos>(first_byte - t2, 0);
    x.timings.receiving = std::max<Nanos>(end - std::max(first_byte, t2), 0);
  } else {
    x.timings.waiting = std::max<Nanos>(end - t2, 0);
  }
  x.timings.duration = x.timings.sending + x.timings.waiting + x.timings.receiving;
  finish(end);
  if (debug_) log_response(x, debug_id);
  co_return x;
}

void Client::log_response(const Exchange& x, std::uint64_t id) {
  // Headers only unless --http-debug=full; a failed exchange says why instead of a response.
  std::string_view text = debug_response_;
  if (!debug_->full()) {
    const std::size_t end = text.find("\r\n\r\n");
    if (end != std::string_view::npos) text = text.substr(0, end + 4);
  }
  if (x.failure != net::Failure::none) {
    debug_->record("Request Failed:", std::string(net::k6_error_text(x.failure)) + "\n" + std::string(text), id,
                   debug_vu_, "HTTP/1.1");
  } else {
    debug_->record("Response:", text, id, debug_vu_, "HTTP/1.1");
  }
}

}  // namespace inferload::http1
