#include "inferload/output/k6_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>

namespace inferload::output {
namespace {

std::string printf_fixed(double x, int digits) {
  // 1e21 has 22 integer digits; digits is at most 101 here.
  char buf[160];
  const int n = std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return std::string(buf, static_cast<std::size_t>(n));
}

// Adds one unit in the last place of a non-negative decimal string ("9.99" → "10.00").
void increment_decimal(std::string& s) {
  for (std::size_t i = s.size(); i-- > 0;) {
    if (s[i] == '.') continue;
    if (s[i] != '9') {
      ++s[i];
      return;
    }
    s[i] = '0';
  }
  s.insert(s.begin(), '1');
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

// k6's toFixedNoTrailingZeros: parseFloat(v.toFixed(prec)).toString().
std::string fixed_no_trailing_zeros(double v, int prec) {
  return js_number(std::strtod(js_to_fixed(v, prec).c_str(), nullptr));
}

// k6's toFixedNoTrailingZerosTrunc: the truncation happens in binary floating point, which is
// why a p(90) of 5.1 ms prints as "5.09ms" in k6 and must here too.
std::string truncated_no_trailing_zeros(double v, int prec) {
  const double mult = std::pow(10.0, prec);
  return fixed_no_trailing_zeros(std::trunc(mult * v) / mult, prec);
}

std::string mixed_time(double ms) {
  if (ms == 0) return "0s";
  if (ms < 0.001) return js_number(std::trunc(ms * 1000000)) + "ns";
  if (ms < 1) return truncated_no_trailing_zeros(ms * 1000, 2) + "µs";
  if (ms < 1000) return truncated_no_trailing_zeros(ms, 2) + "ms";

  std::string out = truncated_no_trailing_zeros(std::fmod(ms, 60000) / 1000, ms > 60000 ? 0 : 2) + "s";
  double rem = std::trunc(ms / 60000);
  if (rem < 1) return out;
  out = js_number(std::fmod(rem, 60)) + "m" + out;
  rem = std::trunc(rem / 60);
  if (rem < 1) return out;
  return js_number(rem) + "h" + out;
}

// Go's fmtFrac + fmtInt: "<v / 10^prec>[.<fraction without trailing zeros>]".

}  // namespace

TimeUnit parse_time_unit(std::string_view unit) {
  if (unit.empty()) return TimeUnit::mixed;
  if (unit == "s") return TimeUnit::s;
  if (unit == "ms") return TimeUnit::ms;
  if (unit == "us") return TimeUnit::us;
  throw std::invalid_argument("invalid summary time unit '" + std::string(unit) +
                              "': use one of s, ms, us (or leave it empty for mixed units)");
}



std::string js_to_fixed(double v, int digits) {
  if (digits < 0 || digits > 100) throw std::invalid_argument("toFixed digits must be within 0..100");
  if (std::isnan(v)) return "NaN";
  if (std::fabs(v) >= 1e21) return js_number(v);

  const bool negative = v < 0;
  const double x = std::fabs(v);
  std::string out = printf_fixed(x, digits);

  // A tie (exactly halfway between two candidates) is possible only when x is a multiple of
  // 2^-(digits+1) with an odd multiplier; then x has exactly digits+1 decimals, the last a 5.
  const double scaled = std::ldexp(x, digits + 1);
  if (scaled < 9007199254740992.0 && scaled == std::floor(scaled) && std::fmod(scaled, 2.0) == 1.0) {
    out = printf_fixed(x, digits + 1);
    out.pop_back();
    if (!out.empty() && out.back() == '.') out.pop_back();
    increment_decimal(out);
  }
  return negative ? "-" + out : out;
}

std::string format_time_ms(double ms, TimeUnit unit) {
  switch (unit) {
    case TimeUnit::s:
      return js_to_fixed(ms * 0.001, 2) + "s";
    case TimeUnit::ms:
      return js_to_fixed(ms * 1, 2) + "ms";
    case TimeUnit::us:
      return js_to_fixed(ms * 1000, 2) + "µs";
    case TimeUnit::mixed:
      break;
  }
  return mixed_time(ms);
}

std::string format_time_ns(double ns, TimeUnit unit) { return format_time_ms(ns / 1e6, unit); }

std::string format_data(double bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  if (bytes < 10 || !std::isfinite(bytes)) return js_number(bytes) + " B";

  double e = std::floor(std::log(bytes) / std::log(1000.0));
  // k6 indexes past "YB" into undefined; clamping keeps the text meaningful.
  if (e > 8) e = 8;
  const double val = std::floor((bytes / std::pow(1000.0, e)) * 10 + 0.5) / 10;
  return js_to_fixed(val, val < 10 ? 1 : 0) + " " + kUnits[static_cast<int>(e)];
}

std::string format_rate(double fraction) {
  // (v*100)*100, not v*10000: the two differ in the last bit for some v, and k6 does the former.
  return js_to_fixed(std::trunc(fraction * 100 * 100) / 100, 2) + "%";
}

std::string format_plain(double v) { return fixed_no_trailing_zeros(v, 6); }

std::string format_value(double k6_value, metrics::ValueKind kind, TimeUnit unit) {
  switch (kind) {
    case metrics::ValueKind::time:
      return format_time_ms(k6_value, unit);
    case metrics::ValueKind::data:
      return format_data(k6_value);
    case metrics::ValueKind::plain:
      break;
  }
  return format_plain(k6_value);
}


std::optional<double> parse_go_float(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.front() == '+' || s.front() == '-') return std::nullopt;
  if (iequals(s, "inf") || iequals(s, "infinity")) {
    return negative ? -HUGE_VAL : HUGE_VAL;
  }
  if (iequals(s, "nan")) return std::nan("");
  // from_chars would also take "nan(...)" and friends, which Go rejects; plain decimals only.
  for (char c : s) {
    const bool ok = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
    if (!ok) return std::nullopt;
  }
  double v = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return std::nullopt;
  return negative ? -v : v;
}

std::size_t display_width(std::string_view utf8) {
  std::size_t n = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace inferload::output
