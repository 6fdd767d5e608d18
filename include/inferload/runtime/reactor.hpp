#pragma once
// The event loop of one worker thread. Two backends implement it: io_uring (preferred) and
// epoll through Boost.Asio (for kernels and sandboxes that forbid io_uring). Everything that
// runs on a reactor -- tasks, sockets, timers -- belongs to its thread; other threads talk to it
// only through post().
#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "inferload/runtime/clock.hpp"
#include "inferload/runtime/socket.hpp"
#include "inferload/runtime/task.hpp"
#include "inferload/runtime/timer.hpp"

namespace inferload::runtime {

class Reactor;

// Work deferred to the end of the current loop turn, after every event of the turn has been
// handled: a connection that many coroutines wrote to during the turn sends it all with one
// syscall. Embedded in its owner; unlinks itself when destroyed, so arming never allocates.
class TurnHook {
 public:
  using Callback = void (*)(void* context) noexcept;
  TurnHook(Callback cb, void* context) noexcept : cb_(cb), context_(context) {}
  TurnHook(const TurnHook&) = delete;
  TurnHook& operator=(const TurnHook&) = delete;
  ~TurnHook() { cancel(); }

  bool armed() const noexcept { return owner_ != nullptr; }
  void cancel() noexcept;

 private:
  friend class Reactor;
  struct List {
    TurnHook* head = nullptr;
    TurnHook* tail = nullptr;
    void push(TurnHook& h) noexcept;
    void unlink(TurnHook& h) noexcept;
  };
  Callback cb_;
  void* context_;
  List* owner_ = nullptr;  // the reactor's armed list, or the batch it is running
  TurnHook* prev_ = nullptr;
  TurnHook* next_ = nullptr;
};

// A wake-up another thread can give the reactor without a lock or an allocation: ring() runs
// the callback once on the reactor's thread at its next turn, however often it was rung
// meanwhile. A thread that hands the reactor work through a lock-free queue of its own pushes,
// then rings; the callback empties the queue. Embedded in its owner, which must not destroy it
// while it may be rung or is still queued (Reactor::run_doorbells() empties the queue).
class Doorbell {
 public:
  using Callback = void (*)(void* context) noexcept;
  Doorbell(Callback cb, void* context) noexcept : cb_(cb), context_(context) {}
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;

  // Thread-safe and lock-free.
  void ring(Reactor& reactor) noexcept;

 private:
  friend class Reactor;
  Callback cb_;
  void* context_;
  std::atomic<bool> pending_{false};
  Doorbell* next_ = nullptr;  // in the reactor's list of rung bells
};

enum class IoBackend : std::uint8_t { uring, epoll };
const char* to_string(IoBackend b) noexcept;

class Reactor {
 public:
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;
  virtual ~Reactor();

  virtual IoBackend backend() const noexcept = 0;

  // A new TCP socket (non-connected, TCP_NODELAY set) whose events go to `events`. On failure
  // returns null and sets `error` (EMFILE when out of descriptors, for example).
  virtual SocketPtr open_tcp(int family, SocketEvents& events, int& error) noexcept = 0;

  // Runs `task` on this reactor until it finishes; run() returns once every spawned task has.
  // Must be called on the reactor's thread.
  void spawn(Task<void> task);
  std::size_t live_tasks() const noexcept { return live_tasks_; }

  // Runs the loop until no spawned task is left.
  void run();

  // When the event being handled was delivered (the loop's latest wake-up). Completions are
  // stamped with it: it is the earliest moment the program could have known.
  Nanos now() const noexcept { return now_; }
  // The time at this moment on the reactor's clock: runtime::now_ns(), or a clock a test drives
  // (use_manual_clock). Everything that runs on a reactor and must agree with its timers reads
  // the time here.
  Nanos clock() const noexcept { return manual_clock_ ? *manual_clock_ : now_ns(); }
  TimerQueue& timers() noexcept { return timers_; }

  // Runs the hook's callback once, at the end of this turn (or of the next one, when called
  // from a hook). Arming an armed hook does nothing.
  void at_turn_end(TurnHook& hook) noexcept;

  // Precise timing: the loop stops sleeping this long before the earliest deadline and polls
  // until it passes, so a timer fires within the loop's turn time of its deadline rather than
  // within the kernel's wake-up latency; it costs a busy CPU while deadlines are near. 0: off.
  void set_spin_before_deadline(Nanos d) noexcept { spin_before_deadline_ = d; }
  // How long the loop chose to spin rather than sleep while nothing was ready (polling for
  // completions, precise timing): CPU time spent, but not work the loop could not keep up with.
  Nanos spin_time() const noexcept { return spin_time_; }

  // Thread-safe: runs fn on the reactor's thread at its next turn.
  void post(std::function<void()> fn);

  // Runs, now, the callbacks of the bells rung since the last turn. On the reactor's thread; the
  // loop does it every turn, and an owner does it before destroying a bell nobody rings anymore.
  void run_doorbells();

  // Called by SocketReleaser.
  virtual void release(Socket* s) noexcept = 0;

 protected:
  Reactor() = default;
  // Blocks until at least one I/O event arrived, post() woke the loop, or `deadline` (kNever:
  // none) passed, and handles what arrived.
  virtual void wait_and_dispatch(Nanos deadline) = 0;
  // Thread-safe: makes a blocked wait_and_dispatch() return soon.
  virtual void wake() noexcept = 0;
  void set_now(Nanos t) noexcept { now_ = t; }
  // A reactor whose time is simulated (schedules tested to the nanosecond without waiting for
  // them) reads `*t` instead of CLOCK_MONOTONIC; its wait_and_dispatch() advances it.
  void use_manual_clock(const Nanos* t) noexcept {
    manual_clock_ = t;
    now_ = *t;
  }
  void add_spin_time(Nanos t) noexcept { spin_time_ += t; }

 private:
  void run_posted();
  void run_turn_hooks() noexcept;
  friend class TurnHook;
  void task_finished() noexcept { --live_tasks_; }
  friend struct SpawnedTask;

  TimerQueue timers_;
  Nanos now_ = now_ns();
  const Nanos* manual_clock_ = nullptr;
  std::size_t live_tasks_ = 0;
  Nanos spin_before_deadline_ = 0;
  Nanos spin_time_ = 0;
  TurnHook::List armed_hooks_;
  TurnHook::List running_hooks_;

  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;
  std::atomic<bool> has_posted_{false};
  friend class Doorbell;
  std::atomic<Doorbell*> rung_{nullptr};  // a lock-free stack: any thread pushes, the loop takes all
};

// Awaitable: suspends until `deadline` (or until the reactor, or the VU `owner` of the timer,
// is hard-stopped).
class SleepUntil {
 public:
  SleepUntil(Reactor& r, Nanos deadline, std::uint32_t owner = 0) noexcept
      : reactor_(r), deadline_(deadline), timer_(&SleepUntil::fire, this) {
    timer_.set_owner(owner);
  }
  bool await_ready() const noexcept { return deadline_ <= reactor_.clock(); }
  void await_suspend(std::coroutine_handle<> h) {
    waiter_ = h;
    reactor_.timers().arm(timer_, deadline_);
  }
  FireReason await_resume() const noexcept { return reason_; }

 private:
  static void fire(void* self, FireReason reason) noexcept {
    auto* s = static_cast<SleepUntil*>(self);
    s->reason_ = reason;
    s->waiter_.resume();
  }
  Reactor& reactor_;
  Nanos deadline_;
  Timer timer_;
  std::coroutine_handle<> waiter_;
  FireReason reason_ = FireReason::expired;
};

inline SleepUntil sleep_until(Reactor& r, Nanos deadline) noexcept { return {r, deadline}; }
// A VU's sleep: a hard stop of that VU alone (TimerQueue::fire_interrupted_if) cuts it short.
inline SleepUntil sleep_until(Reactor& r, Nanos deadline, std::uint32_t owner) noexcept {
  return {r, deadline, owner};
}

}  // namespace inferload::runtime
