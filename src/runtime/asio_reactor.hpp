#pragma once
// epoll backend on Boost.Asio: the fallback where io_uring is forbidden. Sends are written
// directly (non-blocking) and only wait for writability when the socket buffer is full; receives
// use async_read_some, whose speculative read and edge-triggered epoll cost one recv per
// response in steady state.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <vector>

#include "inferload/runtime/reactor.hpp"
#include "retired_sockets.hpp"

namespace inferload::runtime {

class AsioSocket;

class AsioReactor final : public Reactor {
 public:
  AsioReactor();
  ~AsioReactor() override;

  IoBackend backend() const noexcept override { return IoBackend::epoll; }
  SocketPtr open_tcp(int family, SocketEvents& events, int& error) noexcept override;
  void release(Socket* s) noexcept override;

  // Handlers run per loop turn at most; between turns the loop fires timers and posted work.
  static constexpr std::size_t kHandlerBudget = 256;
  // Deadlines nearer than this are kept by a timer rather than by epoll_wait's timeout.
  static constexpr Nanos kNearDeadline = 2 * kMillisecond;

  boost::asio::io_context& io() noexcept { return io_; }
  void stamp() noexcept { set_now(now_ns()); }
  void settle(AsioSocket* s) noexcept;

 private:
  void wait_and_dispatch(Nanos deadline) override;
  void wake() noexcept override;

  // Arms the deadline on a timer (a timerfd, exact to the nanosecond) unless it already is.
  void arm_wake_timer(Nanos deadline);
  void arm_wake_read();

  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::steady_timer wake_timer_{io_};
  Nanos wake_timer_deadline_ = kNever;  // kNever: not armed
  std::uint64_t wake_timer_generation_ = 0;
  RetiredSockets<AsioSocket> retired_;
  // wake() writes to an eventfd that the loop reads, rather than posting to the io_context: a
  // post from another thread takes Asio's lock and allocates its operation, and wake() is what
  // a doorbell rung by another thread (a Kafka client's) costs.
  boost::asio::posix::stream_descriptor wake_fd_{io_};
  std::uint64_t wake_value_ = 0;
};

}  // namespace inferload::runtime
