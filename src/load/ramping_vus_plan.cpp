#include "inferload/load/ramping_vus_plan.hpp"

#include <algorithm>

namespace inferload::load {

namespace {

using i128 = __int128;

// Smallest j with floor(length * j / span) == q, for q reached by some j <= span: the first VU
// of a run that all change at the same nanosecond.
std::int64_t first_of_run(i128 q, std::int64_t span, Nanos length) noexcept {
  return static_cast<std::int64_t>((q * span + length - 1) / length);
}

}  // namespace

RampingVusSteps::RampingVusSteps(std::int64_t start_vus, const std::vector<Stage>& stages)
    : stages_(stages), active_(std::max<std::int64_t>(0, start_vus)) {}

bool RampingVusSteps::next_change(VuStep& step) noexcept {
  for (;;) {
    if (!in_ramp_) {
      if (stage_ == stages_.size()) return false;
      const Stage& st = stages_[stage_++];
      length_ = std::min(std::max<Nanos>(0, st.duration), runtime::kNever - end_);
      end_ += length_;
      target_ = std::max<std::int64_t>(0, st.target);
      if (target_ == active_) continue;
      if (length_ == 0) {
        active_ = target_;
        step = {end_, active_};
        return true;
      }
      in_ramp_ = true;
      up_ = target_ > active_;
      span_ = up_ ? target_ - active_ : active_ - target_;
      cursor_ = up_ ? active_ + 1 : active_;
    }
    if (up_) {
      // VU u becomes active at E - L * (T - u) / (T - F).
      if (cursor_ > target_) {
        in_ramp_ = false;
        continue;
      }
      const i128 q = static_cast<i128>(length_) * (target_ - cursor_) / span_;
      active_ = target_ - first_of_run(q, span_, length_);
      cursor_ = active_ + 1;
      step = {end_ - static_cast<Nanos>(q), active_};
      return true;
    }
    // From u to u - 1 at E - L * (u - 1 - T) / (F - T).
    if (cursor_ <= target_) {
      in_ramp_ = false;
      continue;
    }
    const i128 q = static_cast<i128>(length_) * (cursor_ - 1 - target_) / span_;
    active_ = target_ + first_of_run(q, span_, length_);
    cursor_ = active_;
    step = {end_ - static_cast<Nanos>(q), active_};
    return true;
  }
}

bool RampingVusSteps::next(VuStep& step) noexcept {
  for (;;) {
    VuStep cur;
    const bool first = !started_;
    if (first) {
      started_ = true;
      cur = {0, active_};
    } else if (has_peek_) {
      cur = peek_;
      has_peek_ = false;
    } else if (!next_change(cur)) {
      return false;
    }
    VuStep more;
    while (next_change(more)) {
      if (more.at != cur.at) {
        peek_ = more;
        has_peek_ = true;
        break;
      }
      cur.active = more.active;
    }
    // A jump and its way back at the same instant change nothing.
    if (!first && cur.active == emitted_) continue;
    step = cur;
    emitted_ = cur.active;
    return true;
  }
}

std::int64_t peak_vus(std::int64_t start_vus, const std::vector<Stage>& stages) noexcept {
  std::int64_t peak = start_vus;
  for (const Stage& s : stages) peak = std::max(peak, s.target);
  return peak;
}

}  // namespace inferload::load
