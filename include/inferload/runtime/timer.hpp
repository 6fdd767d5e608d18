#pragma once
// Timers of one reactor: an intrusive binary min-heap of deadlines. Arming and cancelling a timer
// that is embedded in its owner (a connection, an awaiter) never allocates once the heap's
// storage has grown to the number of timers alive at once.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "inferload/runtime/clock.hpp"

namespace inferload::runtime {

enum class FireReason : std::uint8_t {
  expired,      // the deadline passed
  interrupted,  // the reactor was hard-stopped: whatever waited must give up now
};

class Timer {
 public:
  using Callback = void (*)(void* context, FireReason reason) noexcept;

  Timer(Callback cb, void* context) noexcept : cb_(cb), context_(context) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer();  // cancels itself

  bool armed() const noexcept { return queue_ != nullptr; }
  Nanos deadline() const noexcept { return deadline_; }
  void cancel() noexcept;

 private:
  friend class TimerQueue;
  Callback cb_;
  void* context_;
  Nanos deadline_ = kNever;
  class TimerQueue* queue_ = nullptr;
  std::size_t index_ = 0;
};

class TimerQueue {
 public:
  TimerQueue() = default;
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;
  ~TimerQueue();

  // Re-arming an armed timer moves it to the new deadline.
  void arm(Timer& t, Nanos deadline);
  void cancel(Timer& t) noexcept;

  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  Nanos next_deadline() const noexcept { return heap_.empty() ? kNever : heap_.front()->deadline_; }

  // Fires, in deadline order, every timer whose deadline is <= now. A timer armed by a callback
  // for a deadline <= now fires in the same call. Returns how many fired.
  std::size_t fire_expired(Nanos now);
  // Fires every timer armed at the time of the call with FireReason::interrupted.
  std::size_t fire_all_interrupted();

 private:
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void remove_at(std::size_t i) noexcept;
  void place(std::size_t i, Timer* t) noexcept {
    heap_[i] = t;
    t->index_ = i;
  }

  std::vector<Timer*> heap_;
};

}  // namespace inferload::runtime
