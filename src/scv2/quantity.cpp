#include "inferload/scv2/quantity.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

namespace inferload::scv2 {
namespace {

struct Scale {
  std::int64_t power_of_ten = 0;
  int power_of_two = 0;
};

// Exponents are clamped here: far beyond ±10^6 the value is already 0, 1 (a fraction rounded
// up) or too large, so the exact magnitude no longer matters and the sums below cannot overflow.
constexpr std::int64_t kExponentClamp = 1'000'000;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::optional<Scale> scale_of(std::string_view suffix) {
  struct Named {
    std::string_view name;
    Scale scale;
  };
  static constexpr Named kNamed[] = {
      {"", {0, 0}},   {"n", {-9, 0}}, {"u", {-6, 0}}, {"m", {-3, 0}}, {"k", {3, 0}},   {"M", {6, 0}},
      {"G", {9, 0}},  {"T", {12, 0}}, {"P", {15, 0}}, {"E", {18, 0}}, {"Ki", {0, 10}}, {"Mi", {0, 20}},
      {"Gi", {0, 30}}, {"Ti", {0, 40}}, {"Pi", {0, 50}}, {"Ei", {0, 60}},
  };
  for (const auto& n : kNamed)
    if (n.name == suffix) return n.scale;

  if (suffix.size() < 2 || (suffix[0] != 'e' && suffix[0] != 'E')) return std::nullopt;
  std::size_t i = 1;
  const bool negative = suffix[i] == '-';
  if (suffix[i] == '-' || suffix[i] == '+') ++i;
  if (i == suffix.size()) return std::nullopt;
  std::int64_t exponent = 0;
  for (; i < suffix.size(); ++i) {
    if (!is_digit(suffix[i])) return std::nullopt;
    exponent = std::min(exponent * 10 + (suffix[i] - '0'), kExponentClamp);
  }
  return Scale{negative ? -exponent : exponent, 0};
}

// Multiplies a decimal number held as digits, most significant first, by two.
void double_digits(std::string& digits) {
  int carry = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    const int d = (*it - '0') * 2 + carry;
    *it = static_cast<char>('0' + d % 10);
    carry = d / 10;
  }
  if (carry) digits.insert(digits.begin(), static_cast<char>('0' + carry));
}

[[noreturn]] void not_a_quantity(std::string_view text) {
  throw std::invalid_argument("\"" + std::string(text) +
                              "\" is not a Kubernetes quantity (a number with an optional suffix: k, M, G, T, P, E, "
                              "Ki, Mi, Gi, Ti, Pi, Ei, m, or an exponent such as e3)");
}

[[noreturn]] void too_large(std::string_view text) {
  throw std::invalid_argument("\"" + std::string(text) + "\" is larger than 2^64-1");
}

}  // namespace

std::uint64_t parse_quantity(std::string_view text) {
  std::size_t i = 0;
  const bool negative = i < text.size() && text[i] == '-';
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  std::string digits;  // the integer and fraction digits, without the point
  std::int64_t fraction_digits = 0;
  for (; i < text.size() && is_digit(text[i]); ++i) digits += text[i];
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && is_digit(text[i]); ++i, ++fraction_digits) digits += text[i];
  }
  if (digits.empty()) not_a_quantity(text);
  const auto scale = scale_of(text.substr(i));
  if (!scale) not_a_quantity(text);

  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  if (digits.empty()) return 0;  // "-0" is zero, not negative
  if (negative) throw std::invalid_argument("\"" + std::string(text) + "\" is negative");

  // value = digits * 2^power_of_two * 10^exponent, exactly.
  std::int64_t exponent = scale->power_of_ten - fraction_digits;
  for (int k = 0; k < scale->power_of_two; ++k) double_digits(digits);
  while (digits.back() == '0') {
    digits.pop_back();
    ++exponent;
  }

  std::string whole = digits;
  bool fraction_left = false;
  if (exponent < 0) {
    const auto cut = static_cast<std::int64_t>(digits.size()) + exponent;
    // Trailing zeros are gone, so whatever lies right of the point is a non-zero fraction.
    fraction_left = true;
    whole = cut > 0 ? digits.substr(0, static_cast<std::size_t>(cut)) : std::string();
  } else {
    constexpr std::size_t kMaxDigits = std::numeric_limits<std::uint64_t>::digits10 + 1;  // 20
    if (static_cast<std::int64_t>(digits.size()) + exponent > static_cast<std::int64_t>(kMaxDigits)) too_large(text);
    whole.append(static_cast<std::size_t>(exponent), '0');
  }

  std::uint64_t value = 0;
  for (char c : whole) {
    if (__builtin_mul_overflow(value, 10u, &value) || __builtin_add_overflow(value, static_cast<unsigned>(c - '0'), &value)) {
      too_large(text);
    }
  }
  // Quantity.Value() rounds a fraction up, away from zero.
  if (fraction_left && __builtin_add_overflow(value, 1u, &value)) too_large(text);
  return value;
}

}  // namespace inferload::scv2
