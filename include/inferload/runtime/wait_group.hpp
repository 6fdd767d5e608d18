#pragma once
// Waits, on one reactor, for a number of tasks to end. The waiter is resumed from a timer at the
// top of the loop, never from inside the task that ended last: that task may itself have been
// resumed from deep inside a connection.
#include <coroutine>

#include "inferload/runtime/reactor.hpp"

namespace inferload::runtime {

class WaitGroup {
 public:
  explicit WaitGroup(Reactor* r = nullptr) noexcept : r_(r), timer_(&WaitGroup::fire, this) {}
  // Before the first add(), on the reactor's thread, when it did not exist at construction.
  void bind(Reactor& r) noexcept { r_ = &r; }

  void add() noexcept { ++count_; }
  void done() noexcept {
    if (--count_ == 0 && waiter_) r_->timers().arm(timer_, 0);
  }
  int count() const noexcept { return count_; }

  struct Wait {
    WaitGroup& g;
    bool await_ready() const noexcept { return g.count_ == 0; }
    void await_suspend(std::coroutine_handle<> h) noexcept { g.waiter_ = h; }
    void await_resume() const noexcept {}
  };
  Wait wait() noexcept { return Wait{*this}; }

 private:
  // Armed only once the count is 0, so firing for any reason (a hard stop too) means "done".
  static void fire(void* self, FireReason) noexcept {
    auto* g = static_cast<WaitGroup*>(self);
    const std::coroutine_handle<> h = g->waiter_;
    g->waiter_ = {};
    if (h) h.resume();
  }

  Reactor* r_;
  Timer timer_;
  std::coroutine_handle<> waiter_;
  int count_ = 0;
};

}  // namespace inferload::runtime
