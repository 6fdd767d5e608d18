#include "asio_reactor.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <system_error>

#include "pending_write.hpp"

namespace inferload::runtime {

namespace asio = boost::asio;
using boost::system::error_code;

class AsioSocket final : public Socket {
 public:
  static constexpr std::size_t kRecvBufferSize = 8192;  // as wrk: most responses fit, idle VUs stay cheap

  AsioSocket(AsioReactor& r, SocketEvents& ev, asio::ip::tcp::socket&& sock) noexcept
      : r_(r), ev_(&ev), sock_(std::move(sock)) {}

  int fd() const noexcept override { return open_ ? const_cast<AsioSocket*>(this)->sock_.native_handle() : -1; }
  bool is_open() const noexcept override { return open_; }

  IoStatus connect(const sockaddr* addr, socklen_t len) noexcept override {
    if (!open_) return IoStatus::done(EBADF);
    asio::ip::tcp::endpoint ep;
    if (len > ep.capacity()) return IoStatus::done(EINVAL);
    std::memcpy(ep.data(), addr, len);
    ep.resize(len);
    ++life.inflight;
    sock_.async_connect(ep, [this](const error_code& ec) {
      r_.stamp();
      --life.inflight;
      if (open_) ev_->on_connected(ec ? ec.value() : 0);
      settle();
    });
    return IoStatus::later();
  }

  IoStatus send(const ConstBuffer* buffers, std::size_t count) noexcept override {
    if (!open_) return IoStatus::done(EBADF);
    if (count == 0 || count > kMaxSendBuffers) return IoStatus::done(EINVAL);
    pending_.assign(buffers, count);
    const int err = write_some();
    if (err == 0 && pending_.done()) return IoStatus::done(0);
    if (err != 0 && err != EAGAIN && err != EWOULDBLOCK) return IoStatus::done(err);
    wait_writable();
    return IoStatus::later();
  }

  void start_receive() noexcept override {
    if (open_ && !receiving_) read_some();
  }

  void close() noexcept override {
    if (!open_) return;
    open_ = false;
    error_code ec;
    sock_.close(ec);  // pending handlers still run, with operation_aborted
  }

  SocketLifetime life;

 private:
  // Writes as much as the socket takes now; 0 or an errno value.
  int write_some() noexcept {
    while (!pending_.done()) {
      msghdr msg{};
      msg.msg_iov = pending_.iov();
      msg.msg_iovlen = pending_.iov_count();
      const ssize_t n = ::sendmsg(sock_.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      pending_.advance(static_cast<std::size_t>(n));
    }
    return 0;
  }

  void wait_writable() noexcept {
    ++life.inflight;
    sock_.async_wait(asio::ip::tcp::socket::wait_write, [this](const error_code& ec) {
      r_.stamp();
      --life.inflight;
      if (open_) {
        int err = ec ? ec.value() : write_some();
        if (err == EAGAIN || err == EWOULDBLOCK) {
          wait_writable();
        } else if (err != 0 || pending_.done()) {
          ev_->on_sent(err);
        } else {
          wait_writable();
        }
      }
      settle();
    });
  }

  void read_some() noexcept {
    if (!rbuf_) rbuf_.reset(new char[kRecvBufferSize]);
    receiving_ = true;
    ++life.inflight;
    sock_.async_read_some(asio::buffer(rbuf_.get(), kRecvBufferSize), [this](const error_code& ec, std::size_t n) {
      r_.stamp();
      --life.inflight;
      receiving_ = false;
      if (open_) {
        if (!ec) {
          ev_->on_received(rbuf_.get(), n);
          if (open_ && !receiving_) read_some();
        } else {
          ev_->on_receive_end(ec == asio::error::eof ? 0 : ec.value());
        }
      }
      settle();
    });
  }

  void settle() noexcept { r_.settle(this); }

  AsioReactor& r_;
  SocketEvents* ev_;
  asio::ip::tcp::socket sock_;
  std::unique_ptr<char[]> rbuf_;
  bool open_ = true;
  bool receiving_ = false;
  PendingWrite pending_;
};

AsioReactor::AsioReactor() : work_(asio::make_work_guard(io_)) {
  const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  wake_fd_.assign(fd);
  arm_wake_read();
}

void AsioReactor::arm_wake_read() {
  wake_fd_.async_read_some(asio::buffer(&wake_value_, sizeof(wake_value_)), [this](const error_code& ec, std::size_t) {
    if (!ec) arm_wake_read();  // an error here means the reactor is going
  });
}

AsioReactor::~AsioReactor() {
  work_.reset();
  io_.stop();
}

SocketPtr AsioReactor::open_tcp(int family, SocketEvents& events, int& error) noexcept {
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    error = errno;
    return SocketPtr(nullptr, SocketReleaser{this});
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  asio::ip::tcp::socket sock(io_);
  error_code ec;
  sock.assign(family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    error = ec.value();
    return SocketPtr(nullptr, SocketReleaser{this});
  }
  error = 0;
  return SocketPtr(new AsioSocket(*this, events, std::move(sock)), SocketReleaser{this});
}

void AsioReactor::release(Socket* base) noexcept {
  auto* s = static_cast<AsioSocket*>(base);
  s->close();
  retired_.release(s);
}

void AsioReactor::settle(AsioSocket* s) noexcept { retired_.settle(s); }

void AsioReactor::wait_and_dispatch(Nanos deadline) {
  std::size_t ran;
  if (deadline == kNever) {
    ran = io_.run_one();
  } else if (deadline <= now_ns()) {
    // run_one_until() returns at once, running nothing, for a time already past: work deferred
    // to the turn's end must not keep ready handlers from ever running.
    ran = io_.poll_one();
  } else if (deadline - now_ns() < kNearDeadline) {
    // run_one_until() sleeps in epoll_wait, whose timeout counts whole milliseconds (rounded
    // up): a deadline this near would be missed by up to 1 ms. A timer wakes the wait in time.
    arm_wake_timer(deadline);
    ran = io_.run_one();
  } else {
    ran = io_.run_one_until(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline)));
  }
  // poll() alone would run handlers for as long as any are ready, and a peer that streams
  // without pause keeps one ready forever: the budget hands control back to the loop, so timers,
  // posted work (a hard stop) and the freeing of retired sockets always get their turn.
  while (ran != 0 && ran < kHandlerBudget && io_.poll_one() != 0) ++ran;
  retired_.free_settled();
}

void AsioReactor::arm_wake_timer(Nanos deadline) {
  if (wake_timer_deadline_ == deadline) return;
  wake_timer_deadline_ = deadline;
  const std::uint64_t generation = ++wake_timer_generation_;
  // Re-arming cancels the earlier wait; its handler then runs once, aborted, and must not
  // forget the newer deadline.
  wake_timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline)));
  wake_timer_.async_wait([this, generation](const boost::system::error_code&) {
    if (generation == wake_timer_generation_) wake_timer_deadline_ = kNever;
  });
}

void AsioReactor::wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_.native_handle(), &one, sizeof(one));
}

}  // namespace inferload::runtime
