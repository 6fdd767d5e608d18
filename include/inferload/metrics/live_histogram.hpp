#pragma once
// Request durations that another thread may read while the run goes on, for the live progress
// display's p95: coarse buckets (about 9 % wide, 1 µs to 100 s and beyond), each a LiveCounter
// (a relaxed load and store, no read-modify-write), written by one worker only. The summary's
// exact histograms are elsewhere; this one only has to tell 2 ms from 20 ms while it happens.
#include <array>
#include <bit>
#include <cstdint>

#include "inferload/metrics/live_counter.hpp"
#include "inferload/runtime/clock.hpp"

namespace inferload::metrics {

class LiveHistogram {
 public:
  // Eight sub-buckets per power of two from 1024 ns (~1 µs) up: bucket 0 holds everything below.
  static constexpr int kSubBits = 3;
  static constexpr int kMinExp = 10;
  static constexpr std::size_t kBuckets = 8 * (64 - kMinExp) + 1;
  using Counts = std::array<std::uint64_t, kBuckets>;

  void record(runtime::Nanos ns) noexcept { buckets_[index(ns)].add(); }

  // Adds this histogram's counts so far into `out`.
  void add_to(Counts& out) const noexcept {
    for (std::size_t i = 0; i < kBuckets; ++i) out[i] += static_cast<std::uint64_t>(buckets_[i].read());
  }

  static std::size_t index(runtime::Nanos ns) noexcept {
    const auto v = static_cast<std::uint64_t>(ns);
    if (v < (1ULL << kMinExp)) return 0;
    const int exp = 63 - std::countl_zero(v);
    const auto sub = static_cast<std::size_t>((v >> (exp - kSubBits)) & ((1u << kSubBits) - 1));
    return 1 + static_cast<std::size_t>(exp - kMinExp) * (1u << kSubBits) + sub;
  }
  // The upper edge of bucket i, in ns.
  static double upper(std::size_t i) noexcept {
    if (i == 0) return static_cast<double>(1ULL << kMinExp);
    const std::size_t k = i - 1;
    const int exp = kMinExp + static_cast<int>(k >> kSubBits);
    const double base = static_cast<double>(1ULL << exp);
    return base + base * static_cast<double>((k & ((1u << kSubBits) - 1)) + 1) / (1u << kSubBits);
  }
  // The q-quantile (0..1) of `counts`, as its bucket's upper edge in ns; 0 for no samples.
  static double quantile(const Counts& counts, double q) noexcept {
    std::uint64_t total = 0;
    for (auto c : counts) total += c;
    if (total == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts[i];
      if (seen >= rank) return upper(i);
    }
    return upper(kBuckets - 1);
  }

 private:
  std::array<LiveCounter, kBuckets> buckets_;
};

}  // namespace inferload::metrics
