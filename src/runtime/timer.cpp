#include "inferload/runtime/timer.hpp"

namespace inferload::runtime {

Timer::~Timer() { cancel(); }

void Timer::cancel() noexcept {
  if (queue_) queue_->cancel(*this);
}

TimerQueue::~TimerQueue() {
  for (Timer* t : heap_) t->queue_ = nullptr;
}

void TimerQueue::arm(Timer& t, Nanos deadline) {
  if (t.queue_ && t.queue_ != this) t.queue_->cancel(t);
  if (t.queue_ == this) {
    const Nanos old = t.deadline_;
    t.deadline_ = deadline;
    if (deadline < old) sift_up(t.index_);
    else sift_down(t.index_);
    return;
  }
  t.deadline_ = deadline;
  t.queue_ = this;
  heap_.push_back(&t);
  t.index_ = heap_.size() - 1;
  sift_up(t.index_);
}

void TimerQueue::cancel(Timer& t) noexcept {
  if (t.queue_ != this) return;
  remove_at(t.index_);
}

void TimerQueue::remove_at(std::size_t i) noexcept {
  Timer* t = heap_[i];
  t->queue_ = nullptr;
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

std::size_t TimerQueue::fire_expired(Nanos now) {
  std::size_t fired = 0;
  while (!heap_.empty() && heap_.front()->deadline_ <= now) {
    Timer* t = heap_.front();
    remove_at(0);
    ++fired;
    t->cb_(t->context_, FireReason::expired);
  }
  return fired;
}

std::size_t TimerQueue::fire_all_interrupted() {
  // Popping one timer at a time keeps this safe when a callback destroys other armed timers
  // (they leave the heap in their destructor). The bound keeps a hard stop finite even if
  // callbacks re-arm.
  const std::size_t bound = heap_.size();
  std::size_t fired = 0;
  while (!heap_.empty() && fired < bound) {
    Timer* t = heap_.front();
    remove_at(0);
    ++fired;
    t->cb_(t->context_, FireReason::interrupted);
  }
  return fired;
}

}  // namespace inferload::runtime
