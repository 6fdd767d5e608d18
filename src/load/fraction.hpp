#pragma once
// Exact arithmetic on load::Fraction: every product is taken in 128 bits, and a result that does
// not fit 64 bits once reduced is refused rather than wrapped.
#include <cstdint>
#include <numeric>

#include "inferload/load/execution_segment.hpp"

namespace inferload::load {

inline __int128 gcd128(__int128 a, __int128 b) noexcept {
  if (a < 0) a = -a;
  if (b < 0) b = -b;
  while (b != 0) {
    const __int128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// num/den in lowest terms with den > 0; false when den is 0 or the result does not fit.
inline bool make_fraction(__int128 num, __int128 den, Fraction& out) noexcept {
  if (den == 0) return false;
  if (den < 0) {
    num = -num;
    den = -den;
  }
  const __int128 g = gcd128(num, den);
  if (g > 1) {
    num /= g;
    den /= g;
  }
  if (num > INT64_MAX || num < INT64_MIN || den > INT64_MAX) return false;
  out = {static_cast<std::int64_t>(num), static_cast<std::int64_t>(den)};
  return true;
}

inline bool less(const Fraction& a, const Fraction& b) noexcept {
  return static_cast<__int128>(a.num) * b.den < static_cast<__int128>(b.num) * a.den;
}

}  // namespace inferload::load
