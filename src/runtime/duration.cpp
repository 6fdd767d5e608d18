#include "inferload/runtime/duration.hpp"

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace inferload::runtime {
namespace {

[[noreturn]] void fail(std::string_view text, const char* why) {
  throw std::invalid_argument("invalid duration \"" + std::string(text) + "\": " + why);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads a decimal number with an optional fraction at `pos`; returns false if none is there.
bool read_number(std::string_view s, std::size_t& pos, long double& out) {
  const std::size_t start = pos;
  long double whole = 0;
  while (pos < s.size() && is_digit(s[pos])) whole = whole * 10 + (s[pos++] - '0');
  bool any = pos > start;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    long double scale = 0.1L;
    while (pos < s.size() && is_digit(s[pos])) {
      whole += (s[pos++] - '0') * scale;
      scale /= 10;
      any = true;
    }
  }
  out = whole;
  return any;
}

long double unit_nanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1e3L;  // µs in two codings
  if (unit == "ms") return 1e6L;
  if (unit == "s") return 1e9L;
  if (unit == "m") return 60e9L;
  if (unit == "h") return 3600e9L;
  if (unit == "d") return 86400e9L;
  return -1;
}

// Compared before any conversion, so that nothing an int64 cannot hold ever wraps.
Nanos to_nanos(std::string_view text, long double ns, Nanos max) {
  const long double rounded = std::roundl(ns);
  if (!(rounded <= static_cast<long double>(max)) || rounded >= 0x1p63L) {
    throw std::invalid_argument("invalid duration \"" + std::string(text) + "\": too large (at most " +
                                format_go_duration(max) + ")");
  }
  return static_cast<Nanos>(rounded);
}

}  // namespace

Nanos parse_duration(std::string_view text, DurationSyntax syntax, Nanos max) {
  std::string_view s = text;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) fail(text, "empty");
  if (s.front() == '-') fail(text, "must not be negative");
  if (s.front() == '+') s.remove_prefix(1);

  // A bare number: milliseconds in the extended syntax, only "0" on the command line.
  bool bare = true;
  for (char c : s) bare = bare && (is_digit(c) || c == '.');
  if (bare) {
    std::size_t pos = 0;
    long double v = 0;
    if (!read_number(s, pos, v) || pos != s.size()) fail(text, "not a number");
    if (syntax == DurationSyntax::cli && v != 0) fail(text, "a unit is required (ns, us, ms, s, m, h)");
    return to_nanos(text, v * 1e6L, max);
  }

  long double total = 0;
  std::size_t pos = 0;
  bool first = true;
  while (pos < s.size()) {
    long double v = 0;
    if (!read_number(s, pos, v)) fail(text, "expected a number");
    const std::size_t unit_start = pos;
    while (pos < s.size() && !is_digit(s[pos]) && s[pos] != '.') ++pos;
    const std::string_view unit = s.substr(unit_start, pos - unit_start);
    if (unit.empty()) fail(text, "missing unit");
    const long double mult = unit_nanos(unit);
    if (mult < 0) fail(text, "unknown unit (use ns, us, ms, s, m, h)");
    if (unit == "d" && (syntax == DurationSyntax::cli || !first)) fail(text, "unknown unit (use ns, us, ms, s, m, h)");
    total += v * mult;
    first = false;
  }
  return to_nanos(text, total, max);
}

namespace {

// v / 10^prec with the fraction's trailing zeros dropped, as Go prints durations.
std::string go_fraction(std::uint64_t v, int prec) {
  std::uint64_t scale = 1;
  for (int i = 0; i < prec; ++i) scale *= 10;
  std::string frac = std::to_string(v % scale);
  frac.insert(0, static_cast<std::size_t>(prec) - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  std::string out = std::to_string(v / scale);
  if (!frac.empty()) out.append(1, '.').append(frac);
  return out;
}

}  // namespace

std::string format_go_duration(Nanos ns) {
  if (ns == 0) return "0s";
  const bool negative = ns < 0;
  // Two's-complement negation in unsigned arithmetic also covers INT64_MIN.
  const std::uint64_t u = negative ? ~static_cast<std::uint64_t>(ns) + 1 : static_cast<std::uint64_t>(ns);
  std::string out;
  if (u < 1'000) {
    out = std::to_string(u) + "ns";
  } else if (u < 1'000'000) {
    out = go_fraction(u, 3) + "\xC2\xB5s";  // µs
  } else if (u < 1'000'000'000) {
    out = go_fraction(u, 6) + "ms";
  } else {
    const std::uint64_t secs = u / 1'000'000'000;
    out = go_fraction(secs % 60 * 1'000'000'000 + u % 1'000'000'000, 9) + "s";
    const std::uint64_t mins = secs / 60;
    if (mins > 0) {
      out = std::to_string(mins % 60) + "m" + out;
      if (mins / 60 > 0) out = std::to_string(mins / 60) + "h" + out;
    }
  }
  return negative ? "-" + out : out;
}

}  // namespace inferload::runtime
