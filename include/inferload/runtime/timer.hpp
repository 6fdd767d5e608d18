#pragma once
// Timers of one reactor. Deadlines armed by one kind of wait (every request's timeout, every
// backoff of the same length) only ever increase, so each kind keeps its timers in a FIFO lane
// in deadline order: arming appends, cancelling unlinks, expiry pops the head, all O(1), however
// many timers are alive. A timer whose deadline fits no lane's tail goes to a binary min-heap,
// and timers with no deadline wait in a list of their own that only a hard stop fires. Timers
// are embedded in their owners (a connection, an awaiter), so arming never allocates once the
// heap's storage has grown to what the run needs.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "inferload/runtime/clock.hpp"

namespace inferload::runtime {

enum class FireReason : std::uint8_t {
  expired,      // the deadline passed
  interrupted,  // a hard stop (of the reactor, or of the VU the timer belongs to): give up now
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

  // The VU whose wait this timer bounds, so that a hard stop can interrupt one VU's waits and
  // leave the rest of the worker alone. 0: no VU's (a shared connection's own timers), never
  // interrupted by owner. May change while armed.
  void set_owner(std::uint32_t owner) noexcept { owner_ = owner; }
  std::uint32_t owner() const noexcept { return owner_; }

 private:
  friend class TimerQueue;
  Callback cb_;
  void* context_;
  Nanos deadline_ = kNever;
  class TimerQueue* queue_ = nullptr;
  // In a lane (or the no-deadline list): its neighbours; in the heap: its index.
  Timer* prev_ = nullptr;
  Timer* next_ = nullptr;
  std::size_t index_ = 0;
  std::uint8_t place_ = 0;  // a lane number, kNeverList, kFiringList or kInHeap (TimerQueue's)
  std::uint32_t owner_ = 0;  // fits in the padding after place_
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

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  // The earliest deadline armed (kNever: none, or only timers without a deadline).
  Nanos next_deadline() const noexcept;

  // Fires, in deadline order, every timer whose deadline is <= now. A timer armed by a callback
  // for a deadline <= now fires in the same call. Returns how many fired.
  std::size_t fire_expired(Nanos now);
  // Fires every timer armed at the time of the call with FireReason::interrupted, in deadline
  // order (those without a deadline last).
  std::size_t fire_all_interrupted();
  // Fires with FireReason::interrupted, in deadline order (those without a deadline last),
  // every timer armed at the time of the call whose owner is not 0 and for which
  // pred(ctx, owner) is true; the others stay armed as they were. Timers armed by the callbacks
  // are not fired by this call. O(armed timers) plus O(k log k) for the k that fire.
  using OwnerPredicate = bool (*)(void* ctx, std::uint32_t owner) noexcept;
  std::size_t fire_interrupted_if(OwnerPredicate pred, void* ctx);

  // How many timers wait in the heap rather than a lane (for tests of the lane choice).
  std::size_t heap_size() const noexcept { return heap_.size(); }

 private:
  static constexpr std::uint8_t kLanes = 8;
  static constexpr std::uint8_t kNeverList = kLanes;
  // Timers picked by fire_interrupted_if(), in firing order: still armed, so that a callback
  // that cancels or destroys one of them takes it out before its turn.
  static constexpr std::uint8_t kFiringList = kLanes + 1;
  static constexpr std::uint8_t kInHeap = kLanes + 2;

  struct List {
    Timer* head = nullptr;
    Timer* tail = nullptr;
  };

  void append(std::uint8_t place, Timer& t) noexcept;
  void unlink(Timer& t) noexcept;
  std::uint8_t choose_lane(Nanos deadline) const noexcept;
  // The armed timer with the earliest deadline, or null when only no-deadline timers are left.
  Timer* earliest() const noexcept;
  void take(Timer& t) noexcept;  // removes an armed timer from wherever it is
  static Timer* sort_by_deadline(Timer* chain) noexcept;

  void heap_push(Timer& t);
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void heap_remove_at(std::size_t i) noexcept;
  void place(std::size_t i, Timer* t) noexcept {
    heap_[i] = t;
    t->index_ = i;
  }

  List lists_[kLanes + 2];  // the lanes, the no-deadline list, the firing list
  std::vector<Timer*> heap_;
  std::size_t size_ = 0;
};

}  // namespace inferload::runtime
