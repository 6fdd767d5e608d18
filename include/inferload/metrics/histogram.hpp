#pragma once
// Log-linear (HDR-style) histogram of non-negative integers, normally nanoseconds.
//
// Values below 2048 are kept exactly; above that, every power-of-two range is split into 1024
// equal sub-buckets, so a bucket is never wider than 1/1024 of its lowest value (< 0.1 % relative
// error: three significant digits). The range is fixed at 0 .. 1 hour of nanoseconds, the memory
// at 33,792 counters, and record() is a few integer operations on one counter.
//
// Merging adds counters bucket-wise, so the merge of shards is exactly the histogram that one
// writer would have built from all their samples.
#include <cstddef>
#include <cstdint>
#include <memory>

namespace inferload::metrics {

class Histogram {
 public:
  static constexpr std::int64_t kHighestTrackable = 3'600'000'000'000;  // 1 h in ns

  Histogram();
  Histogram(const Histogram& other);
  Histogram& operator=(const Histogram& other);
  Histogram(Histogram&&) noexcept = default;
  Histogram& operator=(Histogram&&) noexcept = default;

  // Negative values count as 0; values above kHighestTrackable count as kHighestTrackable and are
  // reported by clamped(), so an out-of-range sample is never lost or silently misplaced.
  void record(std::int64_t value) noexcept { record_n(value, 1); }
  void record_n(std::int64_t value, std::uint64_t n) noexcept;

  void merge(const Histogram& other) noexcept;
  void reset() noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t clamped() const noexcept { return clamped_; }
  // Exact extremes and mean of the recorded (clamped) values; 0 when empty.
  std::int64_t min() const noexcept { return count_ ? min_ : 0; }
  std::int64_t max() const noexcept { return count_ ? max_ : 0; }
  double mean() const noexcept;

  // The p-th percentile (0 <= p <= 100) with k6's definition: linear interpolation between the
  // closest ranks at index p/100*(n-1) of the sorted samples. Each rank's value is its bucket's
  // midpoint, kept within [min, max]. 0 when empty.
  double percentile(double p) const noexcept;

  // Bit-for-bit equality of every counter and statistic.
  bool operator==(const Histogram& other) const noexcept;

  static std::size_t bucket_count() noexcept;  // number of counters (memory / 8 bytes)

  // The value at 0-based rank r of the sorted samples (bucket midpoint, clamped to [min, max]).
  double value_at_rank(std::uint64_t rank) const noexcept;

 private:
  std::unique_ptr<std::uint64_t[]> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t clamped_ = 0;
  std::int64_t min_ = INT64_MAX;
  std::int64_t max_ = 0;
  unsigned __int128 sum_ = 0;
};

}  // namespace inferload::metrics
