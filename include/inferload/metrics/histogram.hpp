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
#include <vector>

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
  unsigned __int128 sum() const noexcept { return sum_; }  // of the recorded (clamped) values

  // The p-th percentile (0 <= p <= 100) with k6's definition: linear interpolation between the
  // closest ranks at index p/100*(n-1) of the sorted samples. Each rank's value is its bucket's
  // midpoint, kept within [min, max]. 0 when empty.
  double percentile(double p) const noexcept;

  // Bit-for-bit equality of every counter and statistic.
  bool operator==(const Histogram& other) const noexcept;

  static std::size_t bucket_count() noexcept;  // number of counters (memory / 8 bytes)

  // The value at 0-based rank r of the sorted samples (bucket midpoint, clamped to [min, max]).
  double value_at_rank(std::uint64_t rank) const noexcept;

  // One non-empty counter: its index in the fixed layout (0 .. bucket_count()-1) and its count.
  struct Bucket {
    std::uint32_t index = 0;
    std::uint64_t count = 0;
    bool operator==(const Bucket&) const = default;
  };
  // Everything the histogram holds, for writing it out: the non-empty counters in index order
  // and the exact statistics of the recorded values.
  struct State {
    std::vector<Bucket> buckets;
    std::int64_t min = 0;  // 0 when empty, as min()
    std::int64_t max = 0;
    unsigned __int128 sum = 0;
    std::uint64_t clamped = 0;
  };
  State state() const;
  // The histogram that state() described. Throws std::invalid_argument when the state cannot be
  // one: an index out of the layout or not increasing, a zero count, min or max outside the
  // range of the buckets' values, a sum no set of those values can have, more clamped than count.
  static Histogram from_state(const State& state);

  // The index of the counter a value is recorded in (after clamping into 0 .. kHighestTrackable),
  // and the lowest value and width of a counter's range.
  static std::uint32_t bucket_of(std::int64_t value) noexcept;
  static std::int64_t bucket_lowest(std::uint32_t index) noexcept;
  static std::int64_t bucket_width(std::uint32_t index) noexcept;

 private:
  std::unique_ptr<std::uint64_t[]> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t clamped_ = 0;
  std::int64_t min_ = INT64_MAX;
  std::int64_t max_ = 0;
  unsigned __int128 sum_ = 0;
};

}  // namespace inferload::metrics
