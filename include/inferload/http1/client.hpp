#pragma once
// One HTTP/1.1 keep-alive connection and the exchanges made on it, one at a time (as a k6 VU
// does), over TCP or TLS. Connects lazily, reconnects after a close (resuming its TLS session),
// and measures each exchange the way k6 does: blocked (waiting for a connection, including
// connecting and the TLS handshake), connecting (TCP), tls_handshaking, sending, waiting (to the
// first response byte) and receiving; duration = sending + waiting + receiving.
#include <cstdint>
#include <memory>

#include "inferload/http1/request_template.hpp"
#include "inferload/http1/response_parser.hpp"
#include "inferload/net/debug_log.hpp"
#include "inferload/net/failure.hpp"
#include "inferload/net/tcp_stream.hpp"
#include "inferload/runtime/task.hpp"
#include "inferload/tls/secure_socket.hpp"

namespace inferload::http1 {

using runtime::Nanos;

struct Timings {
  Nanos blocked = 0;
  Nanos connecting = 0;
  Nanos tls_handshaking = 0;
  Nanos sending = 0;
  Nanos waiting = 0;
  Nanos receiving = 0;
  Nanos duration = 0;  // sending + waiting + receiving
};

struct Exchange {
  int status = 0;  // the final response's status; 0 when there was none
  net::Failure failure = net::Failure::none;
  int sys_error = 0;                         // errno behind a socket failure
  ParseError parse_error = ParseError::none;  // what broke when failure == protocol
  Timings timings;
  Nanos started_at = 0;  // when the exchange was asked for
  Nanos ended_at = 0;    // when its last byte (or its failure) was known
  // On the wire since the previous exchange (or take_wire_bytes()) told: TLS records and
  // handshakes included, as k6's data_sent and data_received.
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  tls::Version tls_version = tls::Version::any;  // the connection's, over TLS (k6's tls_version tag)
  // A TLS failure's own words ("x509: certificate is not valid for NAME"), valid until the
  // client's next exchange; null otherwise.
  const std::string* tls_reason = nullptr;
};

// Bytes a connection moved on the wire (TLS records and handshakes included).
struct WireBytes {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
};

class Client {
 public:
  // `tls`, when given and set, must outlive the client: its connections are made over TLS.
  Client(runtime::Reactor& reactor, const net::ResolvedEndpoint& endpoint, Nanos timeout,
         const tls::Peer* tls = nullptr);

  // Sends the request and reads the whole response. Never throws; failures are in the result.
  runtime::Task<Exchange> exchange(const RequestTemplate& request);
  // Opens the connection ahead of the first exchange (which then finds it ready): 0 or the
  // errno value; a failed one is closed, for the next exchange to try again and record.
  runtime::Task<int> connect(Nanos deadline);

  // What the connections moved since an exchange or this call last told: a TLS handshake made
  // by connect() ahead of any exchange, which k6 (counting every byte of a VU's sockets) counts.
  // Each exchange reports the bytes since the last report, so none is counted twice or missed.
  WireBytes take_wire_bytes() noexcept;

  bool connected() const noexcept { return stream_.is_open(); }
  void close() noexcept { stream_.close(); }
  // The VU this client belongs to: a hard stop of that VU alone ends its exchange as
  // interrupted (and closes the connection).
  void set_owner(std::uint32_t owner) noexcept { stream_.set_owner(owner); }
  std::uint64_t connections_opened() const noexcept { return connections_opened_; }
  // Null over plain TCP.
  const tls::Connector* tls() const noexcept { return tls_.get(); }
  // --http-debug: every exchange's request and response go to `log` (null: off), as VU `vu`'s.
  void set_debug(net::DebugLog* log, std::uint32_t vu) noexcept {
    debug_ = log;
    debug_vu_ = vu;
  }

 private:
  // Declared before the stream, which it must outlive.
  std::unique_ptr<tls::Connector> tls_;
  net::TcpStream stream_;
  const net::ResolvedEndpoint& endpoint_;
  Nanos timeout_;
  ResponseParser parser_;
  std::uint64_t connections_opened_ = 0;
  void log_response(const Exchange& x, std::uint64_t id);
  std::uint64_t wire_sent() const noexcept { return tls_ ? tls_->wire_bytes_sent() : stream_.bytes_sent(); }
  std::uint64_t wire_received() const noexcept {
    return tls_ ? tls_->wire_bytes_received() : stream_.bytes_received();
  }
  WireBytes reported_;  // the part of wire_sent() and wire_received() told so far
  net::DebugLog* debug_ = nullptr;
  std::uint32_t debug_vu_ = 0;
  std::string debug_response_;  // the response's bytes as they came, while debugging
};

}  // namespace inferload::http1
