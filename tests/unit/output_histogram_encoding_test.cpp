// A histogram written as the export's bucket list and exact statistics is read back into the very
// same histogram (every counter, min, max, the 128-bit sum); malformed lists and impossible
// statistics are refused with a reason.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

#include "inferload/metrics/histogram.hpp"
#include "inferload/output/histogram_encoding.hpp"

namespace inferload::output {
namespace {

using metrics::Histogram;

Histogram round_trip(const Histogram& h) {
  Histogram::State s = h.state();
  s.buckets = decode_buckets(encode_buckets(h));
  return Histogram::from_state(s);
}

TEST(HistogramEncoding, GapsAndCountsOfASmallHistogram) {
  Histogram h;
  for (std::int64_t v : {0, 1, 1, 5, 3000}) h.record(v);
  // Values below 2048 have their own counter; 3000 is in counter 2048 + (3000 >> 1) - 1024 = 2524.
  EXPECT_EQ(Histogram::bucket_of(3000), 2524u);
  EXPECT_EQ(encode_buckets(h), "0,0:2,3,2518");
  const auto buckets = decode_buckets("0,0:2,3,2518");
  const std::vector<Histogram::Bucket> expected = {{0, 1}, {1, 2}, {5, 1}, {2524, 1}};
  EXPECT_EQ(buckets, expected);
  EXPECT_EQ(encode_buckets(Histogram{}), "");
  EXPECT_TRUE(decode_buckets("").empty());
}

TEST(HistogramEncoding, BucketRangesCoverEveryValueOnce) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{2047}, std::int64_t{2048}, std::int64_t{4095}, std::int64_t{4096},
                         std::int64_t{1'000'000}, std::int64_t{123'456'789}, Histogram::kHighestTrackable}) {
    const std::uint32_t i = Histogram::bucket_of(v);
    EXPECT_LE(Histogram::bucket_lowest(i), v);
    EXPECT_LT(v, Histogram::bucket_lowest(i) + Histogram::bucket_width(i));
    // Never wider than a 1024th of its lowest value: three significant digits.
    EXPECT_LE(Histogram::bucket_width(i) * 1024, std::max<std::int64_t>(Histogram::bucket_lowest(i), 1024));
    if (i + 1 < Histogram::bucket_count()) {
      EXPECT_EQ(Histogram::bucket_lowest(i) + Histogram::bucket_width(i), Histogram::bucket_lowest(i + 1));
    }
  }
}

TEST(HistogramEncoding, RoundTripIsBitForBit) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(std::log(2e6), 1.5);
  Histogram h;
  for (int i = 0; i < 100'000; ++i) h.record(static_cast<std::int64_t>(latency(rng)));
  h.record(0);
  h.record_n(17, 1'000'000'000'000ULL);               // counts beyond 32 bits
  h.record_n(Histogram::kHighestTrackable + 5, 3);  // clamped
  EXPECT_EQ(h.clamped(), 3u);
  const Histogram back = round_trip(h);
  EXPECT_TRUE(back == h);
  EXPECT_EQ(back.percentile(99.9), h.percentile(99.9));
  EXPECT_EQ(back.mean(), h.mean());
  EXPECT_TRUE(round_trip(Histogram{}) == Histogram{});
}

TEST(HistogramEncoding, MergedHistogramsEncodeAsTheHistogramOfAllSamples) {
  std::mt19937_64 rng(11);
  std::exponential_distribution<double> d(1e-6);
  Histogram parts[3], all;
  for (int i = 0; i < 30'000; ++i) {
    const auto v = static_cast<std::int64_t>(d(rng));
    parts[i % 3].record(v);
    all.record(v);
  }
  Histogram merged;
  for (const Histogram& p : parts) merged.merge(round_trip(p));
  EXPECT_TRUE(merged == all);
  EXPECT_EQ(encode_buckets(merged), encode_buckets(all));
}

TEST(HistogramEncoding, MalformedListsAreRefused) {
  for (const char* bad : {"x", "1:", ":3", "1:0", "1,", ",1", "1::2", "-1", "1:2:3", "99999999999999999999",
                          "33792", "33791,0"}) {
    EXPECT_THROW(decode_buckets(bad), std::invalid_argument) << bad;
  }
  EXPECT_NO_THROW(decode_buckets("33791"));
}

TEST(HistogramEncoding, ImpossibleStatisticsAreRefused) {
  Histogram h;
  h.record(10);
  h.record(5000);
  const Histogram::State good = h.state();
  EXPECT_NO_THROW(Histogram::from_state(good));
  auto refused = [&](auto change) {
    Histogram::State s = good;
    change(s);
    EXPECT_THROW(Histogram::from_state(s), std::invalid_argument);
  };
  refused([](Histogram::State& s) { s.min = 11; });          // not in the first counter
  refused([](Histogram::State& s) { s.max = 9000; });        // not in the last counter
  refused([](Histogram::State& s) { s.sum = 4; });           // less than the counters' lowest values
  refused([](Histogram::State& s) { s.sum = 1'000'000; });   // more than their highest
  refused([](Histogram::State& s) { s.clamped = 1; });       // max is not the highest trackable value
  refused([](Histogram::State& s) { std::swap(s.buckets[0], s.buckets[1]); });
  refused([](Histogram::State& s) { s.buckets[0].count = 0; });
  refused([](Histogram::State& s) { s.buckets.clear(); });   // statistics without samples
}

TEST(HistogramEncoding, DecimalsOf128Bits) {
  const unsigned __int128 big = (static_cast<unsigned __int128>(1) << 100) + 12345;
  EXPECT_EQ(to_decimal(0), "0");
  EXPECT_EQ(to_decimal(big), "1267650600228229401496703217721");
  EXPECT_TRUE(parse_decimal128(to_decimal(big)) == big);
  const unsigned __int128 max = ~static_cast<unsigned __int128>(0);
  EXPECT_TRUE(parse_decimal128("340282366920938463463374607431768211455") == max);
  EXPECT_THROW(parse_decimal128("340282366920938463463374607431768211456"), std::invalid_argument);
  EXPECT_THROW(parse_decimal128(""), std::invalid_argument);
  EXPECT_THROW(parse_decimal128("12a"), std::invalid_argument);
  EXPECT_THROW(parse_decimal128("-1"), std::invalid_argument);
}

}  // namespace
}  // namespace inferload::output
