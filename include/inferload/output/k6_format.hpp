#pragma once
// Numbers and values rendered exactly as k6 1.1 renders them. k6's summary is produced by
// JavaScript, so "exactly" means JavaScript's number printing (Number#toString, Number#toFixed)
// applied to the same float64 operations k6 performs; users diff our output against k6's.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "inferload/metrics/summary.hpp"
#include "inferload/oip/json_text.hpp"

namespace inferload::output {

// --summary-time-unit: `mixed` (the default, unit chosen per value) or one forced unit.
enum class TimeUnit : std::uint8_t { mixed, s, ms, us };

// "" → mixed, "s", "ms", "us"; anything else throws std::invalid_argument.
TimeUnit parse_time_unit(std::string_view unit);

// --- JavaScript number printing ------------------------------------------------------------



// Numbers as JavaScript prints them (Number#toString, JSON.stringify): see oip/json_text.hpp.
using oip::js_number;
using oip::json_number;

// Number.prototype.toFixed(digits), 0 <= digits <= 100: rounds the exact binary value, ties away
// from zero (glibc's printf rounds ties to even); |v| >= 1e21 falls back to js_number.
std::string js_to_fixed(double v, int digits);

// --- k6 summary values ---------------------------------------------------------------------

// A time in milliseconds (k6's unit): mixed units "850ns", "512.3µs", "140.36ms", "1.15s",
// "1m1s", "1h2m3s" (truncated to 2 decimals below one minute), or the forced unit rounded to
// 2 decimals ("0.15s", "152.36ms", "152355.56µs").
std::string format_time_ms(double ms, TimeUnit unit = TimeUnit::mixed);
// Same for a value in nanoseconds (inferload's internal unit), converted as k6 converts Go
// durations: ns / 1e6.
std::string format_time_ns(double ns, TimeUnit unit = TimeUnit::mixed);

// Bytes: "718 B", "4.9 kB", "519 kB", "1.3 MB" (base 1000).
std::string format_data(double bytes);

// A Rate metric's fraction as a truncated percentage: "0.00%", "98.88%", "100.00%".
std::string format_rate(double fraction);

// Any other number: rounded to 6 decimals, trailing zeros dropped ("45", "6.56109").
std::string format_plain(double v);

// A counter/gauge/trend value already in k6 units (time in ms, data in bytes), formatted by the
// metric's kind. Rate fractions use format_rate instead.
std::string format_value(double k6_value, metrics::ValueKind kind, TimeUnit unit = TimeUnit::mixed);

// Go's strconv.ParseFloat(s, 64) for decimal input: optional sign, digits, fraction, exponent,
// "inf"/"infinity"/"nan" in any case. No surrounding spaces; out of range → nullopt.
std::optional<double> parse_go_float(std::string_view s);

// Length of UTF-8 text in code points: k6 pads columns by characters, and "µs" is one.
std::size_t display_width(std::string_view utf8);

}  // namespace inferload::output
