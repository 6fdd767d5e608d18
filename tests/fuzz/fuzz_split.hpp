#pragma once
// What every fuzzer here shares: a reproducible generator of slice sizes (a fuzzer's verdict is
// that the way its input is cut changes nothing), and a printer for the inputs it reports.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

namespace inferload::fuzz {

// Deterministic and tiny; the quality of the randomness hardly matters, only its reproducibility.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

// Slices summing to `len`: mostly short ones (1..short_max bytes), which land cuts inside every
// small field; long ones, which let whole units be handled in place; and empty ones, which must
// change nothing.
inline std::vector<std::size_t> random_slices(std::size_t len, SplitMix64& rng, std::size_t short_max) {
  std::vector<std::size_t> slices;
  std::size_t left = len;
  while (left > 0) {
    const std::uint64_t r = rng.next();
    std::size_t size = 0;
    switch (r % 8) {
      case 0: size = 0; break;
      case 1: case 2: case 3: size = 1 + (r >> 8) % short_max; break;
      case 4: case 5: size = 1 + (r >> 8) % 32; break;
      default: size = 1 + (r >> 8) % 512; break;
    }
    size = std::min(size, left);
    slices.push_back(size);
    left -= size;
  }
  return slices;
}

// `bytes` as a C string literal on stderr, so that a reported input can be pasted into a test.
inline void print_c_string(std::string_view bytes) {
  std::fputc('"', stderr);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\r') {
      std::fputs("\\r", stderr);
    } else if (c == '\n') {
      std::fputs("\\n", stderr);
    } else if (c == '"' || c == '\\') {
      std::fprintf(stderr, "\\%c", c);
    } else if (c >= 0x20 && c < 0x7f) {
      std::fputc(c, stderr);
    } else {
      // Octal, not hex: a hex escape would swallow the hex digits that follow it.
      std::fprintf(stderr, "\\%03o", c);
    }
  }
  std::fputc('"', stderr);
}

}  // namespace inferload::fuzz
