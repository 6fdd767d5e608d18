#include "inferload/metrics/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace inferload::metrics {
namespace {

// HdrHistogram layout with a unit of 1 and 2048 sub-buckets (3 significant digits).
constexpr int kSubBucketCountMagnitude = 11;
constexpr std::int64_t kSubBucketCount = std::int64_t{1} << kSubBucketCountMagnitude;  // 2048
constexpr int kSubBucketHalfCountMagnitude = kSubBucketCountMagnitude - 1;
constexpr std::int64_t kSubBucketHalfCount = kSubBucketCount / 2;  // 1024
constexpr std::int64_t kSubBucketMask = kSubBucketCount - 1;

constexpr int buckets_needed() {
  std::int64_t smallest_untrackable = kSubBucketCount;
  int buckets = 1;
  while (smallest_untrackable <= Histogram::kHighestTrackable) {
    smallest_untrackable <<= 1;
    ++buckets;
  }
  return buckets;
}
constexpr int kBucketCount = buckets_needed();
constexpr std::size_t kCountsLen = static_cast<std::size_t>(kBucketCount + 1) * kSubBucketHalfCount;

inline int bucket_index(std::int64_t v) {
  // Position of the highest set bit above the sub-bucket range; 0 for v < 2048.
  const int pow2ceiling = 64 - __builtin_clzll(static_cast<std::uint64_t>(v | kSubBucketMask));
  return pow2ceiling - (kSubBucketHalfCountMagnitude + 1);
}

inline std::size_t counts_index(std::int64_t v) {
  const int b = bucket_index(v);
  const std::int64_t sub = v >> b;
  return static_cast<std::size_t>((static_cast<std::int64_t>(b + 1) << kSubBucketHalfCountMagnitude) +
                                  (sub - kSubBucketHalfCount));
}

// Lowest value and width of the bucket at a counts index.
inline void bucket_range(std::size_t index, std::int64_t& lowest, std::int64_t& width) {
  int b = static_cast<int>(index >> kSubBucketHalfCountMagnitude) - 1;
  std::int64_t sub = static_cast<std::int64_t>(index & (kSubBucketHalfCount - 1)) + kSubBucketHalfCount;
  if (b < 0) {
    sub -= kSubBucketHalfCount;
    b = 0;
  }
  lowest = sub << b;
  width = std::int64_t{1} << b;
}

}  // namespace

Histogram::Histogram() : counts_(new std::uint64_t[kCountsLen]()) {}

Histogram::Histogram(const Histogram& other)
    : counts_(new std::uint64_t[kCountsLen]),
      count_(other.count_),
      clamped_(other.clamped_),
      min_(other.min_),
      max_(other.max_),
      sum_(other.sum_) {
  std::memcpy(counts_.get(), other.counts_.get(), kCountsLen * sizeof(std::uint64_t));
}

Histogram& Histogram::operator=(const Histogram& other) {
  if (this != &other) {
    if (!counts_) counts_.reset(new std::uint64_t[kCountsLen]);
    std::memcpy(counts_.get(), other.counts_.get(), kCountsLen * sizeof(std::uint64_t));
    count_ = other.count_;
    clamped_ = other.clamped_;
    min_ = other.min_;
    max_ = other.max_;
    sum_ = other.sum_;
  }
  return *this;
}

std::size_t Histogram::bucket_count() noexcept { return kCountsLen; }

void Histogram::record_n(std::int64_t value, std::uint64_t n) noexcept {
  if (n == 0) return;
  if (value < 0) value = 0;
  if (value > kHighestTrackable) {
    value = kHighestTrackable;
    clamped_ += n;
  }
  counts_[counts_index(value)] += n;
  count_ += n;
  sum_ += static_cast<unsigned __int128>(value) * n;
  if (value < min_) min_ = value;
  if (value > max_) max_ = value;
}

void Histogram::merge(const Histogram& other) noexcept {
  if (other.count_ == 0) return;
  const std::uint64_t* src = other.counts_.get();
  std::uint64_t* dst = counts_.get();
  for (std::size_t i = 0; i < kCountsLen; ++i) dst[i] += src[i];
  count_ += other.count_;
  clamped_ += other.clamped_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::reset() noexcept {
  std::memset(counts_.get(), 0, kCountsLen * sizeof(std::uint64_t));
  count_ = 0;
  clamped_ = 0;
  min_ = INT64_MAX;
  max_ = 0;
  sum_ = 0;
}

double Histogram::mean() const noexcept {
  return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0;
}

double Histogram::value_at_rank(std::uint64_t rank) const noexcept {
  if (count_ == 0) return 0.0;
  if (rank == 0) return static_cast<double>(min_);
  if (rank >= count_ - 1) return static_cast<double>(max_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kCountsLen; ++i) {
    seen += counts_[i];
    if (seen > rank) {
      std::int64_t lowest, width;
      bucket_range(i, lowest, width);
      const double mid = static_cast<double>(lowest) + static_cast<double>(width - 1) / 2.0;
      return std::clamp(mid, static_cast<double>(min_), static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

double Histogram::percentile(double p) const noexcept {
  if (count_ == 0) return 0.0;
  p = std::clamp(p, 0.0, 100.0);
  const double x = p / 100.0 * static_cast<double>(count_ - 1);
  const auto lo = static_cast<std::uint64_t>(std::floor(x));
  const auto hi = static_cast<std::uint64_t>(std::ceil(x));
  const double v_lo = value_at_rank(lo);
  if (hi == lo) return v_lo;
  const double v_hi = value_at_rank(hi);
  return v_lo + (v_hi - v_lo) * (x - static_cast<double>(lo));
}

Histogram::State Histogram::state() const {
  State s;
  for (std::size_t i = 0; i < kCountsLen; ++i) {
    if (counts_[i] != 0) s.buckets.push_back({static_cast<std::uint32_t>(i), counts_[i]});
  }
  s.min = min();
  s.max = max();
  s.sum = sum_;
  s.clamped = clamped_;
  return s;
}

Histogram Histogram::from_state(const State& s) {
  Histogram h;
  if (s.buckets.empty()) {
    if (s.min != 0 || s.max != 0 || s.sum != 0 || s.clamped != 0) {
      throw std::invalid_argument("a histogram without samples has min, max, sum and clamped 0");
    }
    return h;
  }
  unsigned __int128 least = 0;
  unsigned __int128 most = 0;
  std::int64_t previous = -1;
  for (const Bucket& b : s.buckets) {
    if (b.index >= kCountsLen) {
      throw std::invalid_argument("bucket index " + std::to_string(b.index) + " is outside the layout's " +
                                  std::to_string(kCountsLen));
    }
    if (static_cast<std::int64_t>(b.index) <= previous) throw std::invalid_argument("bucket indexes do not increase");
    if (b.count == 0) throw std::invalid_argument("bucket " + std::to_string(b.index) + " has a count of 0");
    previous = b.index;
    if (h.count_ + b.count < h.count_) throw std::invalid_argument("bucket counts overflow");
    h.count_ += b.count;
    h.counts_[b.index] = b.count;
    least += static_cast<unsigned __int128>(bucket_lowest(b.index)) * b.count;
    most += static_cast<unsigned __int128>(bucket_lowest(b.index) + bucket_width(b.index) - 1) * b.count;
  }
  if (s.min < 0 || s.max > kHighestTrackable || s.min > s.max || bucket_of(s.min) != s.buckets.front().index ||
      bucket_of(s.max) != s.buckets.back().index) {
    throw std::invalid_argument("min " + std::to_string(s.min) + " or max " + std::to_string(s.max) +
                                " is not in the first or last bucket");
  }
  if (s.sum < least || s.sum > most) throw std::invalid_argument("sum is outside what the buckets' values add up to");
  if (s.clamped > h.count_ || (s.clamped > 0 && s.max != kHighestTrackable)) {
    throw std::invalid_argument("clamped " + std::to_string(s.clamped) + " does not fit the samples");
  }
  h.min_ = s.min;
  h.max_ = s.max;
  h.sum_ = s.sum;
  h.clamped_ = s.clamped;
  return h;
}

std::uint32_t Histogram::bucket_of(std::int64_t value) noexcept {
  return static_cast<std::uint32_t>(counts_index(std::clamp<std::int64_t>(value, 0, kHighestTrackable)));
}

std::int64_t Histogram::bucket_lowest(std::uint32_t index) noexcept {
  std::int64_t lowest, width;
  bucket_range(index, lowest, width);
  return lowest;
}

std::int64_t Histogram::bucket_width(std::uint32_t index) noexcept {
  std::int64_t lowest, width;
  bucket_range(index, lowest, width);
  return width;
}

bool Histogram::operator==(const Histogram& other) const noexcept {
  return count_ == other.count_ && clamped_ == other.clamped_ && min_ == other.min_ &&
         max_ == other.max_ && sum_ == other.sum_ &&
         std::memcmp(counts_.get(), other.counts_.get(), kCountsLen * sizeof(std::uint64_t)) == 0;
}

}  // namespace inferload::metrics
