#pragma once
// A reactor on a simulated clock: whenever nothing is ready, time jumps to the earliest timer's
// deadline instead of waiting for it. Schedules that take seconds run in microseconds and come
// out exact to the nanosecond, so tests can assert them with ==. It has no sockets: what runs on
// it may only compute and wait on timers.
#include <cerrno>
#include <stdexcept>
#include <string>

#include "inferload/runtime/reactor.hpp"

namespace inferload::test_support {

class VirtualReactor final : public runtime::Reactor {
 public:
  explicit VirtualReactor(runtime::Nanos start) : time_(start) { use_manual_clock(&time_); }

  runtime::IoBackend backend() const noexcept override { return runtime::IoBackend::epoll; }
  runtime::SocketPtr open_tcp(int, runtime::SocketEvents&, int& error) noexcept override {
    error = ENOTSUP;
    return runtime::SocketPtr(nullptr, runtime::SocketReleaser{this});
  }
  void release(runtime::Socket*) noexcept override {}

  runtime::Nanos time() const noexcept { return time_; }

 protected:
  void wait_and_dispatch(runtime::Nanos deadline) override {
    // Tasks are alive but nothing could ever wake them: a real reactor would sleep forever.
    if (deadline == runtime::kNever) {
      throw std::logic_error("virtual reactor: " + std::to_string(live_tasks()) + " tasks wait for nothing that can happen");
    }
    if (deadline > time_) time_ = deadline;
  }
  void wake() noexcept override {}

 private:
  runtime::Nanos time_;
};

}  // namespace inferload::test_support
