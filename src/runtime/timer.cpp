#include "inferload/runtime/timer.hpp"

#include <utility>

namespace inferload::runtime {

Timer::~Timer() { cancel(); }

void Timer::cancel() noexcept {
  if (queue_) queue_->cancel(*this);
}

TimerQueue::~TimerQueue() {
  for (Timer* t : heap_) t->queue_ = nullptr;
  for (List& l : lists_) {
    for (Timer* t = l.head; t; t = t->next_) t->queue_ = nullptr;
  }
}

void TimerQueue::arm(Timer& t, Nanos deadline) {
  if (t.queue_) t.queue_->cancel(t);
  t.deadline_ = deadline;
  t.queue_ = this;
  ++size_;
  if (deadline == kNever) {
    append(kNeverList, t);
    return;
  }
  const std::uint8_t lane = choose_lane(deadline);
  if (lane < kLanes) append(lane, t);
  else heap_push(t);
}

// The lane whose last deadline is the latest one not after `deadline` keeps its order and leaves
// the other lanes to waits of other lengths; an empty lane starts a new kind; kInHeap: none fits.
std::uint8_t TimerQueue::choose_lane(Nanos deadline) const noexcept {
  std::uint8_t best = kInHeap;
  std::uint8_t empty = kInHeap;
  for (std::uint8_t i = 0; i < kLanes; ++i) {
    const Timer* tail = lists_[i].tail;
    if (!tail) {
      if (empty == kInHeap) empty = i;
    } else if (tail->deadline_ <= deadline && (best == kInHeap || tail->deadline_ > lists_[best].tail->deadline_)) {
      best = i;
    }
  }
  return best != kInHeap ? best : empty;
}

void TimerQueue::append(std::uint8_t place, Timer& t) noexcept {
  List& l = lists_[place];
  t.place_ = place;
  t.next_ = nullptr;
  t.prev_ = l.tail;
  if (l.tail) l.tail->next_ = &t;
  else l.head = &t;
  l.tail = &t;
}

void TimerQueue::unlink(Timer& t) noexcept {
  List& l = lists_[t.place_];
  if (t.prev_) t.prev_->next_ = t.next_;
  else l.head = t.next_;
  if (t.next_) t.next_->prev_ = t.prev_;
  else l.tail = t.prev_;
  t.prev_ = t.next_ = nullptr;
}

void TimerQueue::cancel(Timer& t) noexcept {
  if (t.queue_ != this) return;
  take(t);
}

void TimerQueue::take(Timer& t) noexcept {
  if (t.place_ == kInHeap) heap_remove_at(t.index_);
  else unlink(t);
  t.queue_ = nullptr;
  --size_;
}

Timer* TimerQueue::earliest() const noexcept {
  Timer* best = heap_.empty() ? nullptr : heap_.front();
  for (std::uint8_t i = 0; i < kLanes; ++i) {
    Timer* h = lists_[i].head;
    if (h && (!best || h->deadline_ < best->deadline_)) best = h;
  }
  return best;
}

Nanos TimerQueue::next_deadline() const noexcept {
  const Timer* t = earliest();
  return t ? t->deadline_ : kNever;
}

std::size_t TimerQueue::fire_expired(Nanos now) {
  std::size_t fired = 0;
  for (;;) {
    Timer* t = earliest();
    if (!t || t->deadline_ > now) break;
    take(*t);
    ++fired;
    t->cb_(t->context_, FireReason::expired);
  }
  return fired;
}

std::size_t TimerQueue::fire_all_interrupted() {
  // Taking one timer at a time keeps this safe when a callback destroys other armed timers
  // (they leave the queue in their destructor). The bound keeps a hard stop finite even if
  // callbacks re-arm.
  const std::size_t bound = size_;
  std::size_t fired = 0;
  while (fired < bound) {
    Timer* t = earliest();
    if (!t) t = lists_[kNeverList].head;
    if (!t) t = lists_[kFiringList].head;  // when called from a callback of fire_interrupted_if
    if (!t) break;
    take(*t);
    ++fired;
    t->cb_(t->context_, FireReason::interrupted);
  }
  return fired;
}

// Stable merge sort of a chain linked through next_: the lanes are each in deadline order
// already, but the heap's array is not, and the picked timers must fire earliest first.
Timer* TimerQueue::sort_by_deadline(Timer* head) noexcept {
  if (!head || !head->next_) return head;
  Timer* slow = head;
  for (Timer* fast = head->next_; fast && fast->next_; fast = fast->next_->next_) slow = slow->next_;
  Timer* right = std::exchange(slow->next_, nullptr);
  Timer* a = sort_by_deadline(head);
  Timer* b = sort_by_deadline(right);
  Timer* out = nullptr;
  Timer** tail = &out;
  while (a && b) {
    Timer*& from = b->deadline_ < a->deadline_ ? b : a;
    *tail = from;
    tail = &from->next_;
    from = from->next_;
  }
  *tail = a ? a : b;
  return out;
}

std::size_t TimerQueue::fire_interrupted_if(OwnerPredicate pred, void* ctx) {
  auto picked = [&](const Timer* t) { return t->owner_ != 0 && pred(ctx, t->owner_); };
  List& firing = lists_[kFiringList];
  Timer* chain = nullptr;
  Timer** chain_tail = &chain;
  auto pick = [&](Timer* t) {
    t->place_ = kFiringList;
    t->prev_ = nullptr;
    t->next_ = nullptr;
    *chain_tail = t;
    chain_tail = &t->next_;
  };
  for (std::uint8_t i = 0; i <= kNeverList; ++i) {
    for (Timer* t = lists_[i].head; t;) {
      Timer* next = t->next_;
      if (picked(t)) {
        unlink(*t);
        pick(t);
      }
      t = next;
    }
  }
  std::size_t kept = 0;
  for (Timer* t : heap_) {
    if (picked(t)) pick(t);
    else place(kept++, t);
  }
  if (kept != heap_.size()) {
    heap_.resize(kept);
    for (std::size_t i = kept / 2; i-- > 0;) sift_down(i);
  }
  chain = sort_by_deadline(chain);
  for (Timer* t = chain; t;) {
    Timer* next = t->next_;
    append(kFiringList, *t);
    t = next;
  }
  // One at a time from the head: a callback may cancel, re-arm or destroy timers still waiting
  // their turn, which takes them off this list; what callbacks arm goes to the lanes and heap.
  // (A call from inside a callback appends its own picks and fires what is left of both.)
  std::size_t fired = 0;
  while (Timer* t = firing.head) {
    take(*t);
    ++fired;
    t->cb_(t->context_, FireReason::interrupted);
  }
  return fired;
}

void TimerQueue::heap_push(Timer& t) {
  t.place_ = kInHeap;
  heap_.push_back(&t);
  t.index_ = heap_.size() - 1;
  sift_up(t.index_);
}

void TimerQueue::heap_remove_at(std::size_t i) noexcept {
  Timer* t = heap_[i];
  Timer* last = heap_.back();
  heap_.pop_back();
  if (last == t) return;
  place(i, last);
  if (i > 0 && last->deadline_ < heap_[(i - 1) / 2]->deadline_) sift_up(i);
  else sift_down(i);
}

void TimerQueue::sift_up(std::size_t i) noexcept {
  Timer* t = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (heap_[parent]->deadline_ <= t->deadline_) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, t);
}

void TimerQueue::sift_down(std::size_t i) noexcept {
  Timer* t = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1]->deadline_ < heap_[child]->deadline_) ++child;
    if (t->deadline_ <= heap_[child]->deadline_) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, t);
}

}  // namespace inferload::runtime
