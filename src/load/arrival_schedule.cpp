#include "inferload/load/arrival_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace inferload::load {

namespace {

using u128 = unsigned __int128;

// Rates above this would let L * (from + to) leave 128 bits.
constexpr std::uint64_t kMaxRate = std::uint64_t{1} << 62;

std::uint64_t clamp_rate(std::int64_t r) noexcept {
  if (r <= 0) return 0;
  return std::min(static_cast<std::uint64_t>(r), kMaxRate);
}

// The exact test of a candidate due time compares products of two 128-bit numbers.
struct U256 {
  std::uint64_t w[4] = {0, 0, 0, 0};  // little-endian limbs
};

U256 mul(u128 a, u128 b) noexcept {
  const std::uint64_t a_[2] = {static_cast<std::uint64_t>(a), static_cast<std::uint64_t>(a >> 64)};
  const std::uint64_t b_[2] = {static_cast<std::uint64_t>(b), static_cast<std::uint64_t>(b >> 64)};
  U256 r;
  for (int i = 0; i < 2; ++i) {
    u128 carry = 0;
    for (int j = 0; j < 2; ++j) {
      const u128 t = static_cast<u128>(a_[i]) * b_[j] + r.w[i + j] + carry;
      r.w[i + j] = static_cast<std::uint64_t>(t);
      carry = t >> 64;
    }
    r.w[i + 2] = static_cast<std::uint64_t>(carry);
  }
  return r;
}

bool less_equal(const U256& a, const U256& b) noexcept {
  for (int i = 3; i >= 0; --i) {
    if (a.w[i] != b.w[i]) return a.w[i] < b.w[i];
  }
  return true;
}

}  // namespace

ArrivalSchedule::ArrivalSchedule(int worker, int workers, const SegmentShare& segment) : stripes_(segment) {
  if (workers < 1 || worker < 0 || worker >= workers) {
    throw std::invalid_argument("arrival schedule: worker must be in [0, workers)");
  }
  worker_ = static_cast<std::uint64_t>(worker);
  workers_ = static_cast<std::uint64_t>(workers);
  next_ = worker_;
}

ArrivalSchedule ArrivalSchedule::constant(std::int64_t rate, Nanos time_unit, Nanos duration,
                                          int worker, int workers, const SegmentShare& segment) {
  ArrivalSchedule s(worker, workers, segment);
  if (rate <= 0 || time_unit <= 0 || duration <= 0) return s;
  s.end_ = duration;
  // k6 goes through a float64 too; converting a double >= 2^63 to int64 would be undefined.
  const double p = static_cast<double>(time_unit) / static_cast<double>(rate);
  s.period_ = p >= 9.2e18 ? runtime::kNever : std::max<Nanos>(1, static_cast<Nanos>(p));
  s.count_ = static_cast<std::uint64_t>((duration - 1) / s.period_) + 1;
  s.local_count_ = static_cast<std::uint64_t>(segment.share(static_cast<std::int64_t>(s.count_)));
  return s;
}

ArrivalSchedule ArrivalSchedule::ramping(std::int64_t start_rate, Nanos time_unit,
                                         const std::vector<Stage>& stages, int worker,
                                         int workers, const SegmentShare& segment) {
  ArrivalSchedule s(worker, workers, segment);
  s.ramping_ = true;
  if (time_unit <= 0) return s;
  s.time_unit_ = time_unit;
  const u128 two_tu = static_cast<u128>(time_unit) * 2;
  std::uint64_t from = clamp_rate(start_rate);
  Nanos start = 0;
  u128 area2 = 0;
  for (const Stage& st : stages) {
    Nanos len = std::max<Nanos>(0, st.duration);
    len = std::min(len, runtime::kNever - start);
    const std::uint64_t to = clamp_rate(st.target);
    if (len > 0 && (from != 0 || to != 0)) {
      Segment seg;
      seg.start = start;
      seg.length = len;
      seg.from_rate = from;
      seg.to_rate = to;
      seg.area2_before = area2;
      area2 += static_cast<u128>(len) * (from + to);
      seg.last_k = area2 / two_tu;
      s.segments_.push_back(seg);
    }
    start += len;
    from = to;
  }
  s.end_ = start;
  if (!s.segments_.empty()) {
    // Keeps next_ += workers_ from wrapping and the count a share can scale; no real schedule
    // gets near 2^63 iterations.
    const u128 limit = static_cast<u128>(std::numeric_limits<std::int64_t>::max()) - s.workers_;
    const u128 last = s.segments_.back().last_k;
    s.count_ = static_cast<std::uint64_t>(std::min(last, limit));
    s.local_count_ = static_cast<std::uint64_t>(segment.share(static_cast<std::int64_t>(s.count_)));
  }
  return s;
}

// Inside a segment, with x the offset into it, rates a, b per time unit and length L, the area
// (in iterations, times 2 * time_unit * L) is x * (a * (2L - x) + b * x). Iteration k's due time
// is the largest whole x whose area stays <= L * M, M = 2 * time_unit * k - area before: the
// truncated root of the quadratic. long double gets within a few ns; the integer test settles it.
Nanos ArrivalSchedule::due_of(std::uint64_t k, const Segment& s) const noexcept {
  const u128 m = static_cast<u128>(time_unit_) * 2 * k - s.area2_before;
  const Nanos len = s.length;
  const U256 target = mul(static_cast<u128>(len), m);
  const auto fits = [&](Nanos x) {
    const u128 xu = static_cast<u128>(x);
    const u128 q = s.from_rate * (2 * static_cast<u128>(len) - xu) + s.to_rate * xu;
    return less_equal(mul(static_cast<u128>(x), q), target);
  };

  // The form M / (a + sqrt(a^2 + M (b - a) / L)) has no cancellation, unlike k6's
  // (a L - sqrt(...)) / (a - b), and needs no separate case for a == b.
  const long double a = static_cast<long double>(s.from_rate);
  const long double b = static_cast<long double>(s.to_rate);
  const long double ml = static_cast<long double>(m);
  const long double disc = std::max(0.0L, a * a + ml * (b - a) / static_cast<long double>(len));
  const long double denom = a + std::sqrt(disc);
  long double est = denom > 0 ? ml / denom : static_cast<long double>(len);
  est = std::clamp(est, 0.0L, static_cast<long double>(len));
  Nanos x = static_cast<Nanos>(est);

  for (int step = 0; step < 16; ++step) {
    if (x > 0 && !fits(x)) {
      --x;
    } else if (x < len && fits(x + 1)) {
      ++x;
    } else {
      return s.start + x;
    }
  }
  // The estimate was far off; fits(0) always holds, so bisect for the last x that fits.
  Nanos lo = 0, hi = len;
  while (lo < hi) {
    const Nanos mid = lo + (hi - lo + 1) / 2;
    if (fits(mid)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  x = lo;
  return s.start + x;
}

std::size_t ArrivalSchedule::segment_of(std::uint64_t k) const noexcept {
  const auto it = std::partition_point(segments_.begin(), segments_.end(),
                                       [k](const Segment& s) { return s.last_k < k; });
  return static_cast<std::size_t>(it - segments_.begin());
}

bool ArrivalSchedule::next(Nanos& due) noexcept {
  if (next_ >= local_count_) return false;
  const std::uint64_t i = stripes_.global_index(next_);  // < count_
  if (!ramping_) {
    due = static_cast<Nanos>(i) * period_;  // < duration, so no overflow
    last_index_ = i;
    next_ += workers_;
    return true;
  }
  const std::uint64_t k = i + 1;
  while (segments_[segment_].last_k < k) ++segment_;  // k only grows
  const Nanos t = due_of(k, segments_[segment_]);
  if (t >= end_) {
    next_ = local_count_;  // due times never decrease: nothing later is before the end either
    return false;
  }
  due = t;
  last_index_ = i;
  next_ += workers_;
  return true;
}

std::uint64_t ArrivalSchedule::global_count_before(Nanos offset) const noexcept {
  const Nanos limit = std::min(offset, end_);
  if (limit <= 0 || count_ == 0) return 0;
  if (!ramping_) {
    return std::min(count_, static_cast<std::uint64_t>((limit - 1) / period_) + 1);
  }
  // Due times are non-decreasing in k: bisect for the last k due before the limit.
  std::uint64_t lo = 0, hi = count_;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo + 1) / 2;
    if (due_of(mid, segments_[segment_of(mid)]) < limit) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

std::uint64_t ArrivalSchedule::count_before(Nanos offset) const {
  const auto n = static_cast<std::uint64_t>(stripes_.share(static_cast<std::int64_t>(global_count_before(offset))));
  return n > worker_ ? (n - 1 - worker_) / workers_ + 1 : 0;
}

}  // namespace inferload::load
