#pragma once
// One clock for the whole program: CLOCK_MONOTONIC through steady_clock (a vDSO call, no
// syscall), kept as integer nanoseconds so that sums and differences are exact.
#include <chrono>
#include <cstdint>
#include <limits>

namespace inferload::runtime {

using Nanos = std::int64_t;

inline constexpr Nanos kNever = std::numeric_limits<Nanos>::max();
inline constexpr Nanos kMicrosecond = 1'000;
inline constexpr Nanos kMillisecond = 1'000'000;
inline constexpr Nanos kSecond = 1'000'000'000;

inline Nanos now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace inferload::runtime
