#pragma once
// TLS as a socket: a Connector opens, for the protocols (net::TcpStream), a socket that runs the
// handshake over the reactor's own socket before it says "connected", then encrypts what they
// send and decrypts what arrives, all on the reactor's thread with the session's buffers.
#include <cstdint>
#include <memory>
#include <string>

#include "inferload/runtime/reactor.hpp"
#include "inferload/runtime/socket.hpp"
#include "inferload/tls/session.hpp"

namespace inferload::tls {

// How the latest connection's handshake went: its timing (k6's http_req_tls_handshaking runs
// from tcp_connected_at to done_at), version and resumption, or why it failed.
struct Handshake {
  runtime::Nanos tcp_connected_at = 0;
  runtime::Nanos done_at = 0;
  Version version = Version::any;
  bool resumed = false;
  Failure failure = Failure::none;
  std::string reason;
};

// Where a protocol's connections go over TLS: the run's context and the name that goes into SNI
// and that the server's certificate must carry. No context: plain TCP.
struct Peer {
  std::shared_ptr<const Context> context;
  std::string server_name;
  explicit operator bool() const noexcept { return context != nullptr; }
};

// The TLS connections of one client to one server, one at a time (a VU's connection): each new
// one offers the session the server issued on the previous one. It must outlive its sockets.
class Connector final : public runtime::SocketOpener {
 public:
  Connector(const Context& context, std::string server_name) : context_(context), server_name_(std::move(server_name)) {}
  explicit Connector(const Peer& peer) : Connector(*peer.context, peer.server_name) {}

  runtime::SocketPtr open(runtime::Reactor& reactor, int family, runtime::SocketEvents& events,
                          int& error) noexcept override;
  const Handshake& last() const noexcept { return last_; }
  // Why the latest connection failed in TLS, as the protocols count it; none when it did not.
  net::Failure failure() const noexcept { return to_net_failure(last_.failure); }

  // What its connections have moved on the wire so far (records, handshakes included): k6's
  // data_sent and data_received count these, not the plaintext.
  std::uint64_t wire_bytes_sent() const noexcept { return wire_sent_; }
  std::uint64_t wire_bytes_received() const noexcept { return wire_received_; }
  std::uint64_t full_handshakes() const noexcept { return full_handshakes_; }
  std::uint64_t resumed_handshakes() const noexcept { return resumed_handshakes_; }

 private:
  friend class SecureSocket;
  const Context& context_;
  std::string server_name_;
  Ticket ticket_;
  Handshake last_;
  std::uint64_t wire_sent_ = 0, wire_received_ = 0;
  std::uint64_t full_handshakes_ = 0, resumed_handshakes_ = 0;
};

// A socket error of a connection `connector` made (null: plain TCP), in the terms of the layer
// that failed: TLS's own failure when it had one (reported as EPROTO, or as the error that cut
// its handshake short), else the socket's.
net::Failure classify_failure(const Connector* connector, int error, bool connecting) noexcept;

}  // namespace inferload::tls
