#pragma once
// A TCP connection seen from a coroutine: co_await connect, send and recv, each bounded by a
// deadline and cut short by a hard stop of the reactor. One operation waits at a time.
//
// Received bytes are handed out without copying when a recv() is waiting for them; bytes that
// arrive while nobody waits (a response racing a send completion, a server closing an idle
// connection) are kept until the next recv().
#include <coroutine>
#include <cstdint>
#include <string>

#include "inferload/net/endpoint.hpp"
#include "inferload/runtime/reactor.hpp"

namespace inferload::net {

using runtime::ConstBuffer;
using runtime::Nanos;

enum class RecvStatus : std::uint8_t {
  data,         // `data`/`len` hold bytes, valid until the coroutine's next co_await on this stream
  eof,          // the peer closed its side
  error,        // `error` holds an errno value (a failed send is reported here too)
  timed_out,    // the deadline passed
  interrupted,  // the reactor was hard-stopped
};

struct RecvResult {
  RecvStatus status;
  const char* data = nullptr;
  std::size_t len = 0;
  int error = 0;
};

// connect() and send() complete with 0 or an errno value: ETIMEDOUT when the deadline passed,
// ECANCELED when the reactor was hard-stopped.
class TcpStream final : private runtime::SocketEvents {
 public:
  explicit TcpStream(runtime::Reactor& reactor) noexcept;
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;
  ~TcpStream();

  runtime::Reactor& reactor() noexcept { return reactor_; }
  bool is_open() const noexcept { return sock_ && sock_->is_open(); }
  // Open, never closed by the peer, and with no unread bytes: safe to send a new request on.
  bool reusable() const noexcept { return is_open() && end_ == RecvStatus::data && pending_.empty(); }
  void close() noexcept;
  // The VU whose waits these are (runtime::Timer::set_owner): a hard stop of that VU alone
  // ends the wait in progress as a hard stop of the reactor would, closing the connection.
  void set_owner(std::uint32_t owner) noexcept { timer_.set_owner(owner); }
  std::uint32_t owner() const noexcept { return timer_.owner(); }

  class Op {
   public:
    bool await_ready() const noexcept { return kind_ == Kind::none; }
    bool await_suspend(std::coroutine_handle<> h) noexcept;
    int await_resume() noexcept;

   private:
    friend class TcpStream;
    enum class Kind : std::uint8_t { none, connect, send };
    Op(TcpStream& s, Kind k, Nanos deadline, int immediate) noexcept
        : s_(s), kind_(k), deadline_(deadline), result_(immediate) {}
    TcpStream& s_;
    Kind kind_;
    Nanos deadline_;
    int result_;
  };

  class Recv {
   public:
    bool await_ready() noexcept;
    void await_suspend(std::coroutine_handle<> h) noexcept;
    RecvResult await_resume() noexcept;

   private:
    friend class TcpStream;
    Recv(TcpStream& s, Nanos deadline) noexcept : s_(s), deadline_(deadline) {}
    TcpStream& s_;
    Nanos deadline_;
  };

  // Connections are made by `opener` (TLS) from now on; null: the reactor's plain TCP. The
  // opener must outlive the stream's connections.
  void set_opener(runtime::SocketOpener* opener) noexcept { opener_ = opener; }
  // Closes any previous connection and connects anew.
  Op connect(const ResolvedEndpoint& ep, Nanos deadline) noexcept;
  // Waits until every byte is written. The buffers must stay valid until then.
  Op send(const ConstBuffer* buffers, std::size_t count, Nanos deadline) noexcept;
  // Starts writing without waiting: completion time and errors surface through send_done_at()
  // and the next recv(). Returns 0 or an errno value for an immediate failure.
  int start_send(const ConstBuffer* buffers, std::size_t count) noexcept;
  Recv recv(Nanos deadline) noexcept;

  // When the latest send finished (the reactor's delivery time), or 0 while it is in flight.
  Nanos send_done_at() const noexcept { return send_done_at_; }
  std::uint64_t bytes_sent() const noexcept { return bytes_sent_; }
  std::uint64_t bytes_received() const noexcept { return bytes_received_; }

 private:
  enum class Waiting : std::uint8_t { none, connect, send, recv };

  void on_connected(int error) noexcept override;
  void on_sent(int error) noexcept override;
  void on_received(const char* data, std::size_t len) noexcept override;
  void on_receive_end(int error) noexcept override;
  static void on_timer(void* self, runtime::FireReason reason) noexcept;

  void wait(Waiting what, std::coroutine_handle<> h, Nanos deadline) noexcept;
  void wake(int op_result) noexcept;
  void wake_recv(RecvResult r) noexcept;
  bool take_ready_recv(RecvResult& out) noexcept;

  runtime::Reactor& reactor_;
  runtime::SocketPtr sock_;
  runtime::SocketOpener* opener_ = nullptr;
  runtime::Timer timer_;
  Waiting waiting_ = Waiting::none;
  std::coroutine_handle<> waiter_;
  int op_result_ = 0;
  RecvResult recv_result_{RecvStatus::data};

  std::size_t send_size_ = 0;
  bool send_in_flight_ = false;
  int send_error_ = 0;  // a failed start_send(), reported by the next recv()
  Nanos send_done_at_ = 0;

  std::string pending_;           // bytes that arrived while no recv() waited
  bool pending_handed_out_ = false;
  RecvStatus end_ = RecvStatus::data;  // eof or error once receiving has stopped
  int end_error_ = 0;

  std::uint64_t bytes_sent_ = 0;
  std::uint64_t bytes_received_ = 0;
};

}  // namespace inferload::net
