#include "inferload/tls/secure_socket.hpp"

#include <cerrno>
#include <new>
#include <utility>

namespace inferload::tls {

// Calls into the protocol above (upper_) may close and free this socket before they return:
// after one, only locals are touched unless `alive_` says the socket is still there.
class SecureSocket final : public runtime::Socket, private runtime::SocketEvents {
 public:
  SecureSocket(runtime::Reactor& reactor, runtime::SocketEvents& upper, Connector& connector)
      : reactor_(reactor), upper_(upper), connector_(connector), inner_(nullptr, runtime::SocketReleaser{&reactor}) {}
  ~SecureSocket() override {
    *alive_ = false;
    // Before the buffers: a send of `sending_` may still be in flight until the socket is closed.
    inner_.reset();
  }

  bool open(int family, int& error) noexcept {
    inner_ = reactor_.open_tcp(family, *this, error);
    return inner_ != nullptr;
  }

  int fd() const noexcept override { return inner_->fd(); }
  const runtime::WireCounts* wire_counts() const noexcept override { return &wire_; }
  bool is_open() const noexcept override { return !closed_ && inner_->is_open(); }
  void close() noexcept override {
    closed_ = true;
    inner_->close();
  }

  runtime::IoStatus connect(const sockaddr* addr, socklen_t len) noexcept override {
    connector_.last_ = Handshake{};
    try {
      session_ = std::make_unique<Session>(connector_.context_, connector_.server_name_, connector_.ticket_);
    } catch (...) {
      return runtime::IoStatus::done(ENOMEM);
    }
    const runtime::IoStatus st = inner_->connect(addr, len);
    if (st.pending || st.error != 0) return st;
    // TCP is up at once, but the handshake takes round trips: the protocol hears of it later,
    // from the loop, as of any connection.
    later([this] { on_connected(0); });
    return runtime::IoStatus::later();
  }

  runtime::IoStatus send(const runtime::ConstBuffer* buffers, std::size_t count) noexcept override {
    if (!handshake_done_ || closed_) return runtime::IoStatus::done(ENOTCONN);
    if (!session_->write(buffers, count, queued_)) return runtime::IoStatus::done(EPROTO);
    upper_waiting_ = true;
    if (in_flight_) return runtime::IoStatus::later();
    const runtime::IoStatus st = start_flush();
    if (st.pending) return st;
    upper_waiting_ = false;
    return st;
  }

  void start_receive() noexcept override {
    receiving_ = true;
    // Never from inside the call: from the loop, as the reactor's own sockets deliver.
    if (!plain_.empty() || end_pending_) later([this] { deliver(); });
  }

 private:
  template <class F>
  void later(F f) {
    reactor_.post([alive = alive_, f = std::move(f)] {
      if (*alive) f();
    });
  }

  // Sends what is queued unless a send is in flight. Not pending: done at once (or failed).
  runtime::IoStatus start_flush() noexcept {
    if (in_flight_ || queued_.empty()) return runtime::IoStatus::done(0);
    sending_.swap(queued_);
    queued_.clear();
    carrying_upper_ = upper_waiting_;
    const runtime::ConstBuffer b{sending_.data(), sending_.size()};
    connector_.wire_sent_ += sending_.size();
    wire_.sent += sending_.size();
    const runtime::IoStatus st = inner_->send(&b, 1);
    if (st.pending) {
      in_flight_ = true;
      upper_waiting_ = false;
    } else {
      carrying_upper_ = false;
    }
    return st;
  }

  // The protocol hears once that connecting failed; what the peer does afterwards is not its business.
  void connect_failed(int error) noexcept {
    connect_failed_ = true;
    upper_.on_connected(error);
  }

  void on_connected(int error) noexcept override {
    if (error != 0) return connect_failed(error);
    inner_->start_receive();
    connector_.last_.tcp_connected_at = reactor_.now();
    if (session_->handshake({}, queued_) == Session::Step::failed) return fail_handshake();
    const runtime::IoStatus st = start_flush();
    if (!st.pending && st.error != 0) connect_failed(st.error);
  }

  void on_received(const char* data, std::size_t len) noexcept override {
    connector_.wire_received_ += len;
    wire_.received += len;
    if (closed_ || connect_failed_) return;
    if (!handshake_done_) return handshake_bytes(data, len);
    const Session::Step step = session_->read({data, len}, plain_, queued_);
    if (session_->ticket()) connector_.ticket_ = session_->ticket();
    const runtime::IoStatus st = start_flush();
    if (step != Session::Step::more || (!st.pending && st.error != 0)) {
      end_pending_ = true;
      end_error_ = step == Session::Step::done ? 0 : (step == Session::Step::failed ? EPROTO : st.error);
      if (step == Session::Step::failed) {
        connector_.last_.failure = session_->failure();
        connector_.last_.reason = session_->reason();
      }
    }
    if (receiving_) deliver();
  }

  void handshake_bytes(const char* data, std::size_t len) noexcept {
    const Session::Step step = session_->handshake({data, len}, queued_);
    if (step == Session::Step::failed) return fail_handshake();
    const runtime::IoStatus st = start_flush();
    if (!st.pending && st.error != 0) return connect_failed(st.error);
    if (step == Session::Step::more) return;
    handshake_done_ = true;
    Handshake& h = connector_.last_;
    h.done_at = reactor_.now();
    h.version = session_->version();
    h.resumed = session_->resumed();
    ++(h.resumed ? connector_.resumed_handshakes_ : connector_.full_handshakes_);
    // What came after the server's last handshake message (a session, an early frame).
    const Session::Step rest = session_->read({}, plain_, queued_);
    if (session_->ticket()) connector_.ticket_ = session_->ticket();
    if (rest != Session::Step::more) {
      end_pending_ = true;
      end_error_ = rest == Session::Step::done ? 0 : EPROTO;
    }
    start_flush();
    if (!plain_.empty() || end_pending_) later([this] { deliver(); });
    upper_.on_connected(0);
  }

  void fail_handshake() noexcept {
    connector_.last_.failure = session_->failure();
    connector_.last_.reason = session_->reason();
    start_flush();  // the alert that tells the server why, as far as it goes
    connect_failed(EPROTO);
  }

  void deliver() noexcept {
    if (!receiving_ || closed_) return;
    const std::shared_ptr<bool> alive = alive_;
    if (!plain_.empty()) {
      delivering_.swap(plain_);
      plain_.clear();
      upper_.on_received(delivering_.data(), delivering_.size());
      if (!*alive || closed_) return;
    }
    if (end_pending_ && !end_delivered_) {
      end_delivered_ = true;
      upper_.on_receive_end(end_error_);
    }
  }

  void on_sent(int error) noexcept override {
    in_flight_ = false;
    bool upper_done = carrying_upper_;
    carrying_upper_ = false;
    if (error == 0 && !queued_.empty()) {
      // What queued meanwhile: the protocol's next bytes, or TLS's own.
      const runtime::IoStatus st = start_flush();
      if (!st.pending) {
        error = st.error;
        upper_done = upper_done || upper_waiting_;
        upper_waiting_ = false;
      }
    } else if (error != 0 && upper_waiting_) {
      upper_done = true;
      upper_waiting_ = false;
    }
    if (upper_done && !closed_) upper_.on_sent(error);
  }

  void on_receive_end(int error) noexcept override {
    if (closed_ || connect_failed_) return;
    if (!handshake_done_) {
      connector_.last_.failure = Failure::handshake;
      connector_.last_.reason = "tls: the server closed the connection during the handshake";
      return connect_failed(error != 0 ? error : ECONNRESET);
    }
    end_pending_ = true;
    end_error_ = error;
    if (receiving_) deliver();
  }

  runtime::Reactor& reactor_;
  runtime::SocketEvents& upper_;
  Connector& connector_;
  runtime::SocketPtr inner_;
  std::unique_ptr<Session> session_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  runtime::WireCounts wire_;
  std::string queued_, sending_;     // records to send, records being sent
  std::string plain_, delivering_;   // plaintext not yet handed up, plaintext being handed up
  bool handshake_done_ = false;
  bool in_flight_ = false;
  bool upper_waiting_ = false;   // the protocol's bytes are queued, not yet sent
  bool carrying_upper_ = false;  // the send in flight holds the protocol's bytes
  bool receiving_ = false;
  bool closed_ = false;
  bool connect_failed_ = false;
  bool end_pending_ = false, end_delivered_ = false;
  int end_error_ = 0;
};

runtime::SocketPtr Connector::open(runtime::Reactor& reactor, int family, runtime::SocketEvents& events,
                                   int& error) noexcept {
  last_ = Handshake{};
  auto* s = new (std::nothrow) SecureSocket(reactor, events, *this);
  if (!s) {
    error = ENOMEM;
    return runtime::SocketPtr(nullptr, runtime::SocketReleaser{nullptr});
  }
  runtime::SocketPtr p(s, runtime::SocketReleaser{nullptr});
  if (!s->open(family, error)) p.reset();
  return p;
}

net::Failure classify_failure(const Connector* connector, int error, bool connecting) noexcept {
  if (connector && (connecting || error == EPROTO)) {
    if (const net::Failure f = connector->failure(); f != net::Failure::none) return f;
  }
  return net::classify_errno(error, connecting);
}

}  // namespace inferload::tls
