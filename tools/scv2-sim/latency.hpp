#pragma once
// How long the simulated model "computes" before answering an infer request.

#include <chrono>
#include <cstdint>
#include <limits>
#include <string_view>

namespace scv2sim {

// SplitMix64: one word of state, so every session can own a generator without sharing (no locks,
// no atomics) and without the 2.5 KB of a mersenne twister per connection.
class SplitMix64 {
public:
    using result_type = std::uint64_t;
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
    result_type operator()() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, 1) from the top 53 bits, the precision of a double.
    double unit() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

private:
    std::uint64_t state_;
};

class LatencyModel {
public:
    enum class Kind { fixed, uniform, exponential };

    static LatencyModel fixed(std::chrono::nanoseconds d) { return {Kind::fixed, d, d}; }
    static LatencyModel uniform(std::chrono::nanoseconds lo, std::chrono::nanoseconds hi) {
        return {Kind::uniform, lo, hi};
    }
    static LatencyModel exponential(std::chrono::nanoseconds mean) {
        return {Kind::exponential, mean, mean};
    }

    LatencyModel() = default;
    // True when no request is ever delayed, so sessions can skip the timer altogether.
    bool is_zero() const { return kind_ == Kind::fixed && a_.count() == 0; }
    std::chrono::nanoseconds sample(SplitMix64& rng) const;

private:
    LatencyModel(Kind k, std::chrono::nanoseconds a, std::chrono::nanoseconds b)
        : kind_(k), a_(a), b_(b) {}
    Kind kind_ = Kind::fixed;
    std::chrono::nanoseconds a_{0};
    std::chrono::nanoseconds b_{0};
};

// "5ms", "250us", "1.5s", "100ns", "1m30s", "0" (Go's form, at most 1h). Returns false on
// anything else (including negatives).
bool parse_duration(std::string_view text, std::chrono::nanoseconds& out);
// A duration, "uniform:MIN:MAX" or "exp:MEAN". Returns false on a malformed spec.
bool parse_latency(std::string_view text, LatencyModel& out);

}  // namespace scv2sim
