// The progress display's live histogram: buckets about 9 % wide, so its p95 is within a bucket
// of the truth, and counts that other threads read without ever being torn.
#include <gtest/gtest.h>

#include "inferload/metrics/live_histogram.hpp"

namespace inferload::metrics {
namespace {

TEST(LiveHistogram, EveryValueFallsInABucketWhoseUpperEdgeIsWithinOneEighthAbove) {
  for (runtime::Nanos v : {1024LL, 1500LL, 999'999LL, 1'000'000LL, 2'500'000LL, 60'000'000'000LL, (1LL << 62) + 5}) {
    const std::size_t i = LiveHistogram::index(v);
    ASSERT_LT(i, LiveHistogram::kBuckets);
    EXPECT_GT(LiveHistogram::upper(i), static_cast<double>(v)) << v;
    EXPECT_LE(LiveHistogram::upper(i), static_cast<double>(v) * 1.126) << v;
    if (i > 1) EXPECT_LE(LiveHistogram::upper(i - 1), static_cast<double>(v)) << v;
  }
  EXPECT_EQ(LiveHistogram::index(0), 0u);
  EXPECT_EQ(LiveHistogram::index(1023), 0u);
}

TEST(LiveHistogram, QuantileOfCounts) {
  LiveHistogram h;
  for (int i = 0; i < 95; ++i) h.record(1'000'000);  // 1 ms
  for (int i = 0; i < 5; ++i) h.record(50'000'000);  // 50 ms
  LiveHistogram::Counts c{};
  h.add_to(c);
  const double p95 = LiveHistogram::quantile(c, 0.95);
  EXPECT_GT(p95, 1'000'000.0);
  EXPECT_LT(p95, 1'130'000.0);
  const double p99 = LiveHistogram::quantile(c, 0.99);
  EXPECT_GT(p99, 50'000'000.0);
  EXPECT_LT(p99, 56'300'000.0);
  EXPECT_EQ(LiveHistogram::quantile(LiveHistogram::Counts{}, 0.95), 0.0);
}

}  // namespace
}  // namespace inferload::metrics
