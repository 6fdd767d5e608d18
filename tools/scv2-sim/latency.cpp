#include "latency.hpp"

#include <cmath>
#include <string>

namespace scv2sim {

std::chrono::nanoseconds LatencyModel::sample(SplitMix64& rng) const {
    switch (kind_) {
    case Kind::fixed:
        return a_;
    case Kind::uniform: {
        const auto span = static_cast<std::uint64_t>((b_ - a_).count());
        // Modulo bias is at most span/2^64: irrelevant for a simulated delay.
        return a_ + std::chrono::nanoseconds(span == 0 ? 0 : rng() % (span + 1));
    }
    case Kind::exponential: {
        // Inverse CDF; 1 - u is in (0, 1], so the log is finite.
        const double ns = -std::log(1.0 - rng.unit()) * static_cast<double>(a_.count());
        return std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
    }
    }
    return a_;
}

bool parse_duration(std::string_view text, std::chrono::nanoseconds& out) {
    if (text == "0") {
        out = std::chrono::nanoseconds(0);
        return true;
    }
    // Go's form: one or more number+unit terms ("1m30s", "1.5s", "250us"), none negative.
    double total = 0;
    while (!text.empty()) {
        std::size_t digits = 0;
        while (digits < text.size() &&
               ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.'))
            ++digits;
        if (digits == 0) return false;
        std::size_t letters = digits;
        while (letters < text.size() && text[letters] >= 'a' && text[letters] <= 'z') ++letters;
        const std::string_view number = text.substr(0, digits);
        const std::string_view unit = text.substr(digits, letters - digits);
        double scale = 0;
        if (unit == "ns") scale = 1;
        else if (unit == "us") scale = 1e3;
        else if (unit == "ms") scale = 1e6;
        else if (unit == "s") scale = 1e9;
        else if (unit == "m") scale = 60e9;
        else if (unit == "h") scale = 3600e9;
        else return false;
        // std::stod would accept "1e3", hex and leading spaces; the digit scan above already
        // restricted the text, so only "1.2.3" style junk is left for pos to catch.
        std::size_t pos = 0;
        double value = 0;
        try {
            value = std::stod(std::string(number), &pos);
        } catch (const std::exception&) {
            return false;
        }
        if (pos != number.size() || !(value >= 0)) return false;
        total += value * scale;
        text = text.substr(letters);
    }
    if (total > 3.6e12 /* 1 h */) return false;
    out = std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(total)));
    return true;
}

bool parse_latency(std::string_view text, LatencyModel& out) {
    constexpr std::string_view uniform_prefix = "uniform:";
    constexpr std::string_view exp_prefix = "exp:";
    if (text.substr(0, uniform_prefix.size()) == uniform_prefix) {
        const std::string_view rest = text.substr(uniform_prefix.size());
        const auto colon = rest.find(':');
        if (colon == std::string_view::npos) return false;
        std::chrono::nanoseconds lo{}, hi{};
        if (!parse_duration(rest.substr(0, colon), lo) ||
            !parse_duration(rest.substr(colon + 1), hi) || hi < lo)
            return false;
        out = LatencyModel::uniform(lo, hi);
        return true;
    }
    if (text.substr(0, exp_prefix.size()) == exp_prefix) {
        std::chrono::nanoseconds mean{};
        if (!parse_duration(text.substr(exp_prefix.size()), mean)) return false;
        out = LatencyModel::exponential(mean);
        return true;
    }
    std::chrono::nanoseconds d{};
    if (!parse_duration(text, d)) return false;
    out = LatencyModel::fixed(d);
    return true;
}

}  // namespace scv2sim
