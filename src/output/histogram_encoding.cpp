#include "inferload/output/histogram_encoding.hpp"

#include <charconv>
#include <stdexcept>

namespace inferload::output {
namespace {

std::uint64_t parse_u64(std::string_view text, std::string_view what) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw std::invalid_argument("bucket list: " + std::string(what) + " \"" + std::string(text) +
                                "\" is not an unsigned integer");
  }
  return v;
}

}  // namespace

std::string encode_buckets(const metrics::Histogram& h) {
  std::string out;
  std::int64_t next = 0;  // the index right after the previous non-empty counter
  for (const auto& b : h.state().buckets) {
    if (!out.empty()) out += ',';
    out.append(std::to_string(static_cast<std::int64_t>(b.index) - next));
    if (b.count != 1) {
      out += ':';
      out.append(std::to_string(b.count));
    }
    next = static_cast<std::int64_t>(b.index) + 1;
  }
  return out;
}

std::vector<metrics::Histogram::Bucket> decode_buckets(std::string_view text) {
  std::vector<metrics::Histogram::Bucket> out;
  if (text.empty()) return out;
  std::uint64_t next = 0;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const std::size_t colon = item.find(':');
    const std::uint64_t skip = parse_u64(item.substr(0, colon), "gap");
    const std::uint64_t count = colon == std::string_view::npos ? 1 : parse_u64(item.substr(colon + 1), "count");
    const std::uint64_t index = next + skip;
    if (skip >= metrics::Histogram::bucket_count() || index >= metrics::Histogram::bucket_count()) {
      throw std::invalid_argument("bucket list: an index passes the layout's " +
                                  std::to_string(metrics::Histogram::bucket_count()) + " counters");
    }
    if (count == 0) throw std::invalid_argument("bucket list: a count of 0");
    out.push_back({static_cast<std::uint32_t>(index), count});
    next = index + 1;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string to_decimal(unsigned __int128 v) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return digits;
}

unsigned __int128 parse_decimal128(std::string_view text) {
  if (text.empty() || text.size() > 39) throw std::invalid_argument("\"" + std::string(text) + "\" is not a 128-bit unsigned integer");
  constexpr unsigned __int128 kMax = ~static_cast<unsigned __int128>(0);
  unsigned __int128 v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') throw std::invalid_argument("\"" + std::string(text) + "\" is not an unsigned integer");
    const unsigned digit = static_cast<unsigned>(c - '0');
    if (v > (kMax - digit) / 10) throw std::invalid_argument("\"" + std::string(text) + "\" is not a 128-bit unsigned integer");
    v = v * 10 + digit;
  }
  return v;
}

}  // namespace inferload::output
