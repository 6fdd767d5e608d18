#include "inferload/runtime/reactor.hpp"

#include <cstdio>

namespace inferload::runtime {

const char* to_string(IoBackend b) noexcept { return b == IoBackend::uring ? "io_uring" : "epoll"; }

void SocketReleaser::operator()(Socket* s) const noexcept {
  if (s && reactor) reactor->release(s);
  else delete s;
}

// The owner of a spawned task: starts at once, destroys itself when the task has finished.
struct SpawnedTask {
  struct promise_type {
    static void* operator new(std::size_t size) { return frame_pool::allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { frame_pool::deallocate(p, size); }
    SpawnedTask get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };

  static SpawnedTask run(Reactor& r, Task<void> task) {
    try {
      co_await std::move(task);
    } catch (const std::exception& e) {
      // A task is a VU or a service loop: its failures are meant to be values. An exception
      // escaping one is a bug, but it must not take the other tasks down with it.
      std::fprintf(stderr, "inferload: internal error in a task: %s\n", e.what());
    }
    r.task_finished();
  }
};

Reactor::~Reactor() = default;

void Reactor::spawn(Task<void> task) {
  ++live_tasks_;
  SpawnedTask::run(*this, std::move(task));
}

void Reactor::post(std::function<void()> fn) {
  {
    std::lock_guard lock(posted_mutex_);
    posted_.push_back(std::move(fn));
  }
  has_posted_.store(true, std::memory_order_release);
  wake();
}

void Reactor::run_posted() {
  if (rung_.load(std::memory_order_acquire)) run_doorbells();
  if (!has_posted_.load(std::memory_order_acquire)) return;
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(posted_mutex_);
    batch.swap(posted_);
    has_posted_.store(false, std::memory_order_relaxed);
  }
  for (auto& fn : batch) fn();
}

void Doorbell::ring(Reactor& reactor) noexcept {
  // The exchange pairs with the one in run_doorbells(): either this thread sees the bell still
  // pending (and the loop, clearing it, sees whatever was pushed before this call), or it
  // queues the bell again.
  if (pending_.exchange(true, std::memory_order_acq_rel)) return;
  Doorbell* head = reactor.rung_.load(std::memory_order_relaxed);
  do {
    next_ = head;
  } while (!reactor.rung_.compare_exchange_weak(head, this, std::memory_order_release, std::memory_order_relaxed));
  reactor.wake();
}

void Reactor::run_doorbells() {
  // Taking the whole stack at once makes the pop free of ABA: nobody else ever pops.
  Doorbell* bell = rung_.exchange(nullptr, std::memory_order_acquire);
  while (bell) {
    Doorbell* next = bell->next_;
    bell->pending_.exchange(false, std::memory_order_acq_rel);
    bell->cb_(bell->context_);
    bell = next;
  }
}

void TurnHook::List::push(TurnHook& h) noexcept {
  h.owner_ = this;
  h.prev_ = tail;
  h.next_ = nullptr;
  if (tail) tail->next_ = &h;
  else head = &h;
  tail = &h;
}

void TurnHook::List::unlink(TurnHook& h) noexcept {
  if (h.prev_) h.prev_->next_ = h.next_;
  else head = h.next_;
  if (h.next_) h.next_->prev_ = h.prev_;
  else tail = h.prev_;
  h.owner_ = nullptr;
  h.prev_ = h.next_ = nullptr;
}

void TurnHook::cancel() noexcept {
  if (owner_) owner_->unlink(*this);
}

void Reactor::at_turn_end(TurnHook& hook) noexcept {
  if (hook.owner_ == &armed_hooks_) return;
  // Armed again while its batch runs (before its turn came): it runs once, in that batch.
  if (hook.owner_ == &running_hooks_) return;
  armed_hooks_.push(hook);
}

void Reactor::run_turn_hooks() noexcept {
  // The armed hooks become this turn's batch; hooks armed by a callback wait for the next turn.
  // A callback may cancel or destroy hooks of the batch still to run: they unlink themselves.
  running_hooks_ = armed_hooks_;
  for (TurnHook* t = running_hooks_.head; t; t = t->next_) t->owner_ = &running_hooks_;
  armed_hooks_ = {};
  while (TurnHook* t = running_hooks_.head) {
    running_hooks_.unlink(*t);
    t->cb_(t->context_);
  }
}

void Reactor::run() {
  for (;;) {
    run_posted();
    set_now(clock());
    timers_.fire_expired(now_);
    run_turn_hooks();
    if (live_tasks_ == 0) break;
    Nanos deadline = armed_hooks_.head ? now_ : timers_.next_deadline();
    bool polling = false;
    if (spin_before_deadline_ > 0 && deadline != kNever && deadline > now_) {
      // Waking from a sleep costs microseconds that vary; the precise mode wakes that much early
      // and polls, without sleeping, through the last stretch.
      polling = deadline - now_ <= spin_before_deadline_;
      deadline = polling ? now_ : deadline - spin_before_deadline_;
    }
    if (polling) {
      const Nanos before = clock();
      wait_and_dispatch(deadline);
      add_spin_time(clock() - before);
    } else {
      wait_and_dispatch(deadline);
    }
  }
}

}  // namespace inferload::runtime
