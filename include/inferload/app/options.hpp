#pragma once
// Numbers and durations from flags and env vars, each parsed into the range the engine can run
// (never wrapped into a smaller type) or refused with a message that gives the range.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "inferload/runtime/clock.hpp"
#include "inferload/runtime/duration.hpp"

namespace inferload::app {

inline constexpr std::uint64_t kMaxVus = 1'000'000;
inline constexpr std::uint64_t kMaxWorkers = 1024;
// The engine's iteration counters are signed 64-bit.
inline constexpr std::uint64_t kMaxIterations = std::numeric_limits<std::int64_t>::max();
// Far beyond any test, and far enough below 2^63 ns that a deadline (now + duration + graceful
// stop) can never overflow.
inline constexpr runtime::Nanos kMaxDuration = 1'000'000LL * 3600 * runtime::kSecond;

// A decimal whole number in [min, max]. Throws ExitError(kExitOtherError) naming `source` (the
// flag or variable) and the allowed range.
std::uint64_t parse_count(std::string_view source, std::string_view text, std::uint64_t min, std::uint64_t max);

// A duration of at most kMaxDuration. Throws ExitError(kExitOtherError) naming `source`.
runtime::Nanos parse_duration_option(std::string_view source, std::string_view text, runtime::DurationSyntax syntax);

}  // namespace inferload::app
