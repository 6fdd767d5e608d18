#pragma once
// A counter with one writer (its worker) that other threads may read at any time, for the live
// progress line. Writing is a relaxed load and store -- plain moves on x86 -- not an atomic
// read-modify-write, so it costs the hot path nothing.
#include <atomic>
#include <cstdint>

namespace inferload::metrics {

class LiveCounter {
 public:
  void add(std::int64_t n = 1) noexcept { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::int64_t read() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

}  // namespace inferload::metrics
