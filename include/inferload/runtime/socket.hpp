#pragma once
// A stream socket driven by a reactor. Operations start at once and finish either immediately
// (the returned IoStatus says so, and no event follows) or later through SocketEvents, always
// from the reactor's loop and never from inside the call that started them.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace inferload::runtime {

class Reactor;

struct ConstBuffer {
  const char* data;
  std::size_t size;
};

struct IoStatus {
  bool pending;  // true: the result arrives later through SocketEvents
  int error;     // when not pending: 0 or an errno value
  static IoStatus later() noexcept { return {true, 0}; }
  static IoStatus done(int err = 0) noexcept { return {false, err}; }
};

class SocketEvents {
 public:
  virtual void on_connected(int error) noexcept = 0;  // 0 or an errno value
  virtual void on_sent(int error) noexcept = 0;       // every byte written, or an errno value
  // Bytes as they arrive. The memory is the reactor's and is reused when this returns.
  virtual void on_received(const char* data, std::size_t len) noexcept = 0;
  // Receiving has stopped: 0 for an orderly close by the peer, else an errno value.
  virtual void on_receive_end(int error) noexcept = 0;

 protected:
  ~SocketEvents() = default;
};

// The bytes a socket moved on the wire, where they differ from what its user gave and took
// (TLS's records and handshake).
struct WireCounts {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
};

class Socket {
 public:
  virtual ~Socket() = default;
  virtual int fd() const noexcept = 0;
  // Null when the wire carries exactly the user's bytes (the reactor's own sockets).
  virtual const WireCounts* wire_counts() const noexcept { return nullptr; }

  virtual IoStatus connect(const sockaddr* addr, socklen_t len) noexcept = 0;
  // Writes all of the buffers (at most kMaxSendBuffers), in order. Their memory must stay valid
  // until the send has finished or the socket is closed.
  static constexpr std::size_t kMaxSendBuffers = 4;
  virtual IoStatus send(const ConstBuffer* buffers, std::size_t count) noexcept = 0;
  // Starts delivering received bytes through on_received until on_receive_end.
  virtual void start_receive() noexcept = 0;
  // Closes the connection. No event is delivered after close() returns.
  virtual void close() noexcept = 0;
  virtual bool is_open() const noexcept = 0;
};

// Sockets are owned by their reactor, which frees one only when no operation of it is still in
// flight inside the kernel; dropping a SocketPtr closes the socket and hands it back. A socket
// made by a layer over a reactor's own (TLS) has no reactor here and is deleted: it owns the
// reactor's socket, which it gives back the same way.
struct SocketReleaser {
  Reactor* reactor;
  void operator()(Socket* s) const noexcept;
};
using SocketPtr = std::unique_ptr<Socket, SocketReleaser>;

// Makes the socket of a connection: a layer over the reactor's own (tls::Connector), which the
// protocols then use as they use the reactor's.
class SocketOpener {
 public:
  // As Reactor::open_tcp: null with `error` set when it cannot.
  virtual SocketPtr open(Reactor& reactor, int family, SocketEvents& events, int& error) noexcept = 0;

 protected:
  ~SocketOpener() = default;
};

}  // namespace inferload::runtime
