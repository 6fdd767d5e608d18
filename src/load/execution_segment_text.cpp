// The text of segments and sequences: k6's syntax (lib/execution_segment.go stringToRat and the
// constructors' checks), its printed forms and its error messages.
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <stdexcept>

#include "fraction.hpp"
#include "inferload/load/execution_segment.hpp"

namespace inferload::load {
namespace {

[[noreturn]] void not_a_number(std::string_view s) {
  throw std::invalid_argument("'" + std::string(s) + "' is not a valid percentage, decimal, fraction or interval value");
}

// A whole number with an optional sign; false when it is not one or does not fit.
bool parse_integer(std::string_view s, std::int64_t& out) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return false;
  }
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// A decimal with an optional sign, fraction part and exponent, as Go's big.Rat reads it:
// "0.25", ".5", "1e-2". Exact while it fits 64 bits.
bool parse_decimal(std::string_view s, Fraction& out) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  __int128 digits = 0;
  int scale = 0;  // the value is digits * 10^-scale
  bool any = false, point = false;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.' && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      any = true;
      digits = digits * 10 + (c - '0');
      if (digits > INT64_MAX) return false;
      if (point) ++scale;
    } else {
      break;
    }
  }
  if (!any) return false;
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return false;
    std::int64_t exponent = 0;
    if (!parse_integer(s.substr(i + 1), exponent) || exponent < -40 || exponent > 40) return false;
    scale -= static_cast<int>(exponent);
  }
  __int128 den = 1;
  for (; scale > 0; --scale) {
    den *= 10;
    if (den > INT64_MAX) return false;
  }
  for (; scale < 0; ++scale) {
    digits *= 10;
    if (digits > INT64_MAX) return false;
  }
  return make_fraction(negative ? -digits : digits, den, out);
}

// k6's stringToRat: "25%" (a whole percentage), "1/4", or a decimal.
Fraction parse_number(std::string_view s) {
  Fraction f;
  if (!s.empty() && s.back() == '%') {
    std::int64_t percent = 0;
    if (!parse_integer(s.substr(0, s.size() - 1), percent)) {
      throw std::invalid_argument("'" + std::string(s) + "' is not a valid percentage");
    }
    make_fraction(percent, 100, f);
    return f;
  }
  if (const auto slash = s.find('/'); slash != std::string_view::npos) {
    // As Go reads it: the numerator may have a sign, the denominator may not.
    const std::string_view den_text = s.substr(slash + 1);
    const bool unsigned_den = !den_text.empty() && std::isdigit(static_cast<unsigned char>(den_text.front()));
    std::int64_t num = 0, den = 0;
    if (!parse_integer(s.substr(0, slash), num) || !unsigned_den || !parse_integer(den_text, den) || den == 0 ||
        !make_fraction(num, den, f)) {
      not_a_number(s);
    }
    return f;
  }
  if (!parse_decimal(s, f)) not_a_number(s);
  return f;
}

// Go's big.Rat FloatString(2): rounded half away from zero.
std::string two_decimals(const Fraction& f) {
  const __int128 scaled = static_cast<__int128>(f.num) * 100;
  const __int128 mag = scaled < 0 ? -scaled : scaled;
  const __int128 hundredths = (2 * mag + f.den) / (2 * static_cast<__int128>(f.den));
  const auto whole = static_cast<long long>(hundredths / 100);
  const auto cents = static_cast<int>(hundredths % 100);
  char buf[48];
  const int n = std::snprintf(buf, sizeof buf, "%s%lld.%02d", scaled < 0 && hundredths != 0 ? "-" : "", whole, cents);
  return std::string(buf, static_cast<std::size_t>(n));
}

// k6's NewExecutionSegment checks.
ExecutionSegment checked_segment(const Fraction& from, const Fraction& to) {
  if (less(from, Fraction{0, 1})) {
    throw std::invalid_argument("segment start value must be at least 0 but was " + two_decimals(from));
  }
  if (!less(from, to)) {
    throw std::invalid_argument("segment start(" + two_decimals(from) + ") must be less than its end(" +
                                two_decimals(to) + ")");
  }
  if (less(Fraction{1, 1}, to)) {
    throw std::invalid_argument("segment end value can't be more than 1 but was " + two_decimals(to));
  }
  return {from, to};
}

}  // namespace

Fraction fraction(std::int64_t num, std::int64_t den) {
  Fraction f;
  if (den <= 0 || !make_fraction(num, den, f)) throw std::invalid_argument("a fraction's denominator must be more than 0");
  return f;
}

std::string to_string(const Fraction& f) {
  if (f.den == 1) return std::to_string(f.num);
  return std::to_string(f.num) + "/" + std::to_string(f.den);
}

std::string to_string(const ExecutionSegment& s) { return to_string(s.from) + ":" + to_string(s.to); }

ExecutionSegment parse_execution_segment(std::string_view text) {
  if (text.empty()) return {};
  Fraction from{0, 1};
  std::string_view to_text = text;
  if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    from = parse_number(text.substr(0, colon));
    to_text = text.substr(colon + 1);
  }
  return checked_segment(from, parse_number(to_text));
}

std::vector<Fraction> parse_execution_segment_sequence(std::string_view text) {
  std::vector<Fraction> points;
  if (text.empty()) return points;
  std::size_t from = 0;
  for (;;) {
    const auto comma = text.find(',', from);
    points.push_back(parse_number(text.substr(from, comma == std::string_view::npos ? std::string_view::npos : comma - from)));
    if (comma == std::string_view::npos) break;
    from = comma + 1;
  }
  if (points.size() < 2) {
    throw std::invalid_argument("at least 2 points are needed for an execution segment sequence, " +
                                std::to_string(points.size()) + " given");
  }
  for (std::size_t i = 1; i < points.size(); ++i) checked_segment(points[i - 1], points[i]);
  return points;
}

std::string sequence_to_string(const std::vector<Fraction>& points) {
  std::string out;
  for (const Fraction& p : points) {
    if (!out.empty()) out += ',';
    out += to_string(p);
  }
  return out;
}

}  // namespace inferload::load
