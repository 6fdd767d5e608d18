#include "uring_reactor.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "pending_write.hpp"

namespace inferload::runtime {
namespace {

// user_data: a socket pointer with the operation in its low bits (sockets are 8-aligned), or
// one of the small tags below.
enum OpKind : std::uint64_t { kConnect = 1, kSend = 2, kRecv = 3 };
constexpr std::uint64_t kOpMask = 7;
constexpr std::uint64_t kIgnoreTag = 0;  // cancel requests: their completion carries nothing
constexpr std::uint64_t kWakeTag = 8;    // the eventfd read that post() uses to wake the loop

constexpr int kSendFlags = MSG_NOSIGNAL | MSG_WAITALL;  // WAITALL: the kernel retries short sends

}  // namespace

class UringSocket final : public Socket {
 public:
  UringSocket(UringReactor& r, SocketEvents& ev, int fd) noexcept : r_(r), ev_(&ev), fd_(fd) {}
  ~UringSocket() override {
    if (fd_ >= 0) ::close(fd_);
  }

  int fd() const noexcept override { return fd_; }
  bool is_open() const noexcept override { return open_; }

  IoStatus connect(const sockaddr* addr, socklen_t len) noexcept override {
    if (!open_) return IoStatus::done(EBADF);
    if (len > sizeof(addr_)) return IoStatus::done(EINVAL);
    std::memcpy(&addr_, addr, len);
    io_uring_sqe* sqe = r_.get_sqe();
    io_uring_prep_connect(sqe, fd_, reinterpret_cast<const sockaddr*>(&addr_), len);
    io_uring_sqe_set_data64(sqe, tag(kConnect));
    connect_pending_ = true;
    ++life.inflight;
    return IoStatus::later();
  }

  IoStatus send(const ConstBuffer* buffers, std::size_t count) noexcept override {
    if (!open_) return IoStatus::done(EBADF);
    if (count == 0 || count > kMaxSendBuffers) return IoStatus::done(EINVAL);
    pending_.assign(buffers, count);
    submit_send();
    send_pending_ = true;
    return IoStatus::later();
  }

  void start_receive() noexcept override {
    if (open_ && !recv_armed_) arm_recv();
  }

  void close() noexcept override {
    if (!open_) return;
    open_ = false;
    // Cancelling by user_data needs no syscall.
    if (connect_pending_) cancel(kConnect);
    if (send_pending_) cancel(kSend);
    if (recv_armed_) cancel(kRecv);
    if (life.inflight == 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    // A request that names the descriptor may not have reached the kernel yet: were its number
    // closed now, the next socket opened could get it, and the request would act on that one
    // (a send of this connection's bytes on the next connection). The number is kept until the
    // last completion (the destructor closes it) and the connection ends now, after which no
    // send takes another byte from a buffer its owner may already have freed.
    ::shutdown(fd_, SHUT_RDWR);
  }

 private:
  friend class UringReactor;

  std::uint64_t tag(OpKind k) const noexcept { return reinterpret_cast<std::uint64_t>(this) | k; }

  void cancel(OpKind k) noexcept {
    io_uring_sqe* sqe = r_.get_sqe();
    io_uring_prep_cancel64(sqe, tag(k), 0);
    io_uring_sqe_set_data64(sqe, kIgnoreTag);
  }

  void submit_send() noexcept {
    io_uring_sqe* sqe = r_.get_sqe();
    if (pending_.iov_count() == 1) {
      io_uring_prep_send(sqe, fd_, pending_.iov()->iov_base, pending_.iov()->iov_len, kSendFlags);
    } else {
      std::memset(&msg_, 0, sizeof(msg_));
      msg_.msg_iov = pending_.iov();
      msg_.msg_iovlen = pending_.iov_count();
      io_uring_prep_sendmsg(sqe, fd_, &msg_, kSendFlags);
    }
    io_uring_sqe_set_data64(sqe, tag(kSend));
    ++life.inflight;
  }

  void arm_recv() noexcept {
    io_uring_sqe* sqe = r_.get_sqe();
    if (r_.multishot_recv()) io_uring_prep_recv_multishot(sqe, fd_, nullptr, 0, 0);
    else io_uring_prep_recv(sqe, fd_, nullptr, r_.config_.buffer_size, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = UringReactor::kBufferGroup;
    io_uring_sqe_set_data64(sqe, tag(kRecv));
    recv_armed_ = true;
    ++life.inflight;
  }

  UringReactor& r_;
  SocketEvents* ev_;
  int fd_;
  bool open_ = true;
  bool connect_pending_ = false;
  bool send_pending_ = false;
  bool recv_armed_ = false;
  sockaddr_storage addr_{};
  PendingWrite pending_;
  msghdr msg_{};

 public:
  SocketLifetime life;
};

UringReactor::UringReactor(const UringConfig& config) : config_(config), multishot_(config.multishot_recv) {
  io_uring_params p{};
  p.flags = config_.setup_flags | IORING_SETUP_CQSIZE;
  p.cq_entries = config_.cq_entries;
  int ret = io_uring_queue_init_params(config_.sq_entries, &ring_, &p);
  if (ret < 0) throw std::system_error(-ret, std::generic_category(), "io_uring_setup");
  ring_ready_ = true;

  buf_ring_bytes_ = config_.buffer_count * sizeof(io_uring_buf);
  void* mem = ::mmap(nullptr, buf_ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap buffer ring");
  buf_ring_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(buf_ring_);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(mem);
  reg.ring_entries = config_.buffer_count;
  reg.bgid = kBufferGroup;
  ret = io_uring_register_buf_ring(&ring_, &reg, 0);
  if (ret < 0) throw std::system_error(-ret, std::generic_category(), "io_uring_register_buf_ring");
  buffers_.reset(new char[static_cast<std::size_t>(config_.buffer_count) * config_.buffer_size]);
  buf_mask_ = static_cast<unsigned>(io_uring_buf_ring_mask(config_.buffer_count));
  for (unsigned i = 0; i < config_.buffer_count; ++i) {
    io_uring_buf_ring_add(buf_ring_, buffers_.get() + static_cast<std::size_t>(i) * config_.buffer_size,
                          config_.buffer_size, static_cast<unsigned short>(i), static_cast<int>(buf_mask_),
                          static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buf_ring_, static_cast<int>(config_.buffer_count));

  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  arm_wake_read();
}

UringReactor::~UringReactor() {
  if (ring_ready_) io_uring_queue_exit(&ring_);  // the kernel cancels whatever is still in flight
  if (buf_ring_) ::munmap(buf_ring_, buf_ring_bytes_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

io_uring_sqe* UringReactor::get_sqe() noexcept {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (!sqe) {
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void UringReactor::arm_wake_read() noexcept {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof(wake_value_), 0);
  io_uring_sqe_set_data64(sqe, kWakeTag);
}

void UringReactor::wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
}

void UringReactor::recycle_buffer(unsigned id) noexcept {
  io_uring_buf_ring_add(buf_ring_, buffers_.get() + static_cast<std::size_t>(id) * config_.buffer_size,
                        config_.buffer_size, static_cast<unsigned short>(id), static_cast<int>(buf_mask_), 0);
  io_uring_buf_ring_advance(buf_ring_, 1);
}

SocketPtr UringReactor::open_tcp(int family, SocketEvents& events, int& error) noexcept {
  // Blocking descriptors on purpose: io_uring then waits for readiness itself (internal poll)
  // instead of handing EAGAIN back to us.
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno;
    return SocketPtr(nullptr, SocketReleaser{this});
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  error = 0;
  return SocketPtr(new UringSocket(*this, events, fd), SocketReleaser{this});
}

void UringReactor::release(Socket* base) noexcept {
  auto* s = static_cast<UringSocket*>(base);
  s->close();
  retired_.release(s);
}

void UringReactor::wait_and_dispatch(Nanos deadline) {
  int ret;
  const bool ready = spin_for_completions(deadline);
  const Nanos sleep_start = now_ns();
  if (ready) {
    ret = io_uring_submit(&ring_);
  } else if (deadline == kNever) {
    ret = io_uring_submit_and_wait(&ring_, 1);
  } else {
    Nanos rel = deadline - now_ns();
    if (rel < 0) rel = 0;
    __kernel_timespec ts{rel / kSecond, rel % kSecond};
    io_uring_cqe* first = nullptr;
    ret = io_uring_submit_and_wait_timeout(&ring_, &first, 1, &ts, nullptr);
  }
  (void)ret;  // -ETIME and -EINTR only mean "nothing yet"; completions are read below either way
  set_now(now_ns());
  if (!ready) recent_wait_ = (recent_wait_ * 7 + (now() - sleep_start)) / 8;

  // Without DEFER_TASKRUN the kernel may keep adding completions while they are handled; the
  // budget returns to the loop so that timers and posted work (a hard stop) always get a turn.
  io_uring_cqe* cqes[256];
  unsigned handled = 0;
  while (handled < kCompletionBudget) {
    const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, 256);
    if (n == 0) break;
    for (unsigned i = 0; i < n; ++i) dispatch(cqes[i]->user_data, cqes[i]->res, cqes[i]->flags);
    io_uring_cq_advance(&ring_, n);
    handled += n;
    if (n < 256) break;
  }

  retired_.free_settled();
}

// Falling asleep in io_uring_enter and being woken costs a few microseconds of latency per
// completion, and at a handful of connections that latency, not CPU, bounds the request rate.
// While completions have been arriving within microseconds of each other and few requests are in
// flight, the loop first looks for them for a little while (submitting what it has, then asking
// the kernel to run its deferred work). Against a slow server, or with many requests in flight
// (where each turn's batch already amortises the sleep), it sleeps at once.
bool UringReactor::spin_for_completions(Nanos deadline) noexcept {
  // Every waiting VU has a timer armed, so the timers count the requests in flight.
  if (recent_wait_ >= kSpinWhileWaitsBelow || timers().size() > kSpinWhileWaitersUpTo) {
    return io_uring_cq_ready(&ring_) > 0;
  }
  io_uring_submit_and_get_events(&ring_);
  const Nanos start = now_ns();
  Nanos t = start;
  const Nanos until = std::min(deadline, start + kSpinFor);
  while (io_uring_cq_ready(&ring_) == 0) {
    if (t >= until) {
      recent_wait_ = (recent_wait_ * 7 + (t - start)) / 8;
      add_spin_time(t - start);
      return false;
    }
    io_uring_get_events(&ring_);
    t = now_ns();
  }
  recent_wait_ = (recent_wait_ * 7 + (t - start)) / 8;
  add_spin_time(t - start);
  return true;
}

void UringReactor::dispatch(std::uint64_t user_data, int res, unsigned flags) noexcept {
  if (user_data == kIgnoreTag) return;
  if (user_data == kWakeTag) {
    arm_wake_read();
    return;
  }
  auto* s = reinterpret_cast<UringSocket*>(user_data & ~kOpMask);
  switch (static_cast<OpKind>(user_data & kOpMask)) {
    case kConnect:
      --s->life.inflight;
      s->connect_pending_ = false;
      if (s->open_) s->ev_->on_connected(res < 0 ? -res : 0);
      break;

    case kSend:
      --s->life.inflight;
      if (!s->open_) break;
      if (res < 0) {
        s->send_pending_ = false;
        s->ev_->on_sent(-res);
      } else if (s->pending_.advance(static_cast<std::size_t>(res))) {
        s->send_pending_ = false;
        s->ev_->on_sent(0);
      } else {
        s->submit_send();
      }
      break;

    case kRecv: {
      const bool more = (flags & IORING_CQE_F_MORE) != 0;
      if (!more) {
        --s->life.inflight;
        s->recv_armed_ = false;
      }
      if (flags & IORING_CQE_F_BUFFER) {
        const unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
        if (res > 0 && s->open_) {
          s->ev_->on_received(buffers_.get() + static_cast<std::size_t>(id) * config_.buffer_size,
                              static_cast<std::size_t>(res));
        }
        recycle_buffer(id);
      }
      if (more || !s->open_ || s->recv_armed_) break;
      if (res > 0 || res == -ENOBUFS) {
        // Single-shot mode, or the multishot request ended without an error (for example when
        // the completion queue overflowed), or every buffer was in use: keep receiving.
        s->arm_recv();
      } else if (res == -EINVAL && multishot_) {
        multishot_ = false;  // an older kernel without multishot receive
        s->arm_recv();
      } else {
        s->ev_->on_receive_end(res == 0 ? 0 : -res);
      }
      break;
    }
    default:
      break;
  }
  retired_.settle(s);
}

int probe_uring(UringConfig& config, std::string& detail, std::string& where) {
  io_uring ring{};
  io_uring_params p{};
  struct Attempt {
    unsigned flags;
    const char* name;
  };
  const Attempt attempts[] = {
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "SINGLE_ISSUER|DEFER_TASKRUN"},
      {IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN"},
      {0, "no setup flags"},
  };
  int ret = -EINVAL;
  const char* flags_name = "";
  for (const Attempt& a : attempts) {
    p = io_uring_params{};
    p.flags = a.flags | IORING_SETUP_CQSIZE;
    p.cq_entries = 64;
    ret = io_uring_queue_init_params(8, &ring, &p);
    if (ret == 0) {
      config.setup_flags = a.flags;
      flags_name = a.name;
      break;
    }
    // Only an unknown flag is worth another try; a refusal of io_uring itself is final.
    if (ret != -EINVAL) break;
  }
  if (ret < 0) {
    where = "io_uring_setup";
    return -ret;
  }

  int err = 0;
  void* mem = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(mem);
  reg.ring_entries = 8;
  reg.bgid = 7;
  char bufs[8][64];
  int sv[2] = {-1, -1};
  if (mem == MAP_FAILED) {
    err = errno;
    where = "mmap";
    mem = nullptr;
  } else {
    auto* br = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_ring_init(br);
    ret = io_uring_register_buf_ring(&ring, &reg, 0);
    if (ret < 0) {
      err = -ret;
      where = "io_uring_register_buf_ring";
    } else {
      for (int i = 0; i < 8; ++i) io_uring_buf_ring_add(br, bufs[i], 64, static_cast<unsigned short>(i), 7, i);
      io_uring_buf_ring_advance(br, 8);
    }
  }

  // Multishot receive is checked for real: a completion flagged MORE proves it works.
  config.multishot_recv = false;
  if (err == 0 && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_recv_multishot(sqe, sv[0], nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 7;
    io_uring_sqe_set_data64(sqe, 1);
    io_uring_submit(&ring);
    [[maybe_unused]] ssize_t n = ::write(sv[1], "x", 1);
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts{1, 0};
    if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts) == 0 && cqe) {
      config.multishot_recv = cqe->res > 0 && (cqe->flags & IORING_CQE_F_MORE);
      io_uring_cqe_seen(&ring, cqe);
    }
    ::close(sv[0]);
    ::close(sv[1]);
  }
  io_uring_queue_exit(&ring);
  if (mem) ::munmap(mem, 4096);
  if (err) return err;

  detail = std::string(flags_name) + (config.multishot_recv ? ", multishot recv" : ", single-shot recv") +
           ", provided buffers";
  return 0;
}

}  // namespace inferload::runtime
