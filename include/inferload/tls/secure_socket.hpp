#pragma once
// TLS as a socket: a Connector opens, for the protocols (net::TcpStream), a socket that runs the
// handshake over the reactor's own socket before it says "connected", then encrypts what they
// send and decrypts what arrives, all on the reactor's thread with the session's buffers.
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
  const char* version = "";
  bool resumed = false;
  Failure failure = Failure::none;
  std::string reason;
};

// The TLS connections of one client to one server, one at a time (a VU's connection): each new
// one offers the session the server issued on the previous one. It must outlive its sockets.
class Connector final : public runtime::SocketOpener {
 public:
  Connector(const Context& context, std::string server_name) : context_(context), server_name_(std::move(server_name)) {}

  runtime::SocketPtr open(runtime::Reactor& reactor, int family, runtime::SocketEvents& events,
                          int& error) noexcept override;
  const Handshake& last() const noexcept { return last_; }

 private:
  friend class SecureSocket;
  const Context& context_;
  std::string server_name_;
  Ticket ticket_;
  Handshake last_;
};

}  // namespace inferload::tls
