// The histogram against an exact sort: every percentile the summary can report must be within
// 0.1 % of the exact value (with k6's interpolation), and merging shards must give exactly the
// histogram of all samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "inferload/metrics/histogram.hpp"

using inferload::metrics::Histogram;

namespace {

// k6's percentile (metrics/sink.go): linear interpolation between closest ranks.
double exact_percentile(const std::vector<std::int64_t>& sorted, double p) {
  const double x = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(x));
  const auto hi = static_cast<std::size_t>(std::ceil(x));
  return static_cast<double>(sorted[lo]) +
         (static_cast<double>(sorted[hi]) - static_cast<double>(sorted[lo])) * (x - static_cast<double>(lo));
}

const double kPercentiles[] = {0, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 99.999, 100};

void expect_within_tenth_of_a_percent(const std::vector<std::int64_t>& samples, const char* label) {
  Histogram h;
  for (auto v : samples) h.record(v);
  std::vector<std::int64_t> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  for (double p : kPercentiles) {
    const double exact = exact_percentile(sorted, p);
    const double got = h.percentile(p);
    EXPECT_LE(std::fabs(got - exact), exact * 0.001 + 1e-9) << label << " p(" << p << ") exact " << exact << " got " << got;
  }
  EXPECT_EQ(h.count(), samples.size());
  EXPECT_EQ(h.min(), sorted.front());
  EXPECT_EQ(h.max(), sorted.back());
  long double sum = 0;
  for (auto v : samples) sum += v;
  EXPECT_NEAR(h.mean(), static_cast<double>(sum / samples.size()), 1e-6 * h.mean()) << label;
}

std::vector<std::int64_t> lognormal(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> d(std::log(2e6), 1.0);  // median 2 ms, long tail
  std::vector<std::int64_t> v(n);
  for (auto& x : v) x = static_cast<std::int64_t>(d(rng));
  return v;
}

std::vector<std::int64_t> bimodal(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> fast(150e3, 20e3);  // 150 µs: a cache hit
  std::normal_distribution<double> slow(80e6, 10e6);   // 80 ms: a cold model
  std::bernoulli_distribution pick_slow(0.07);
  std::vector<std::int64_t> v(n);
  for (auto& x : v) x = std::max<std::int64_t>(1, static_cast<std::int64_t>(pick_slow(rng) ? slow(rng) : fast(rng)));
  return v;
}

}  // namespace

TEST(Histogram, LognormalPercentilesWithinATenthOfAPercent) {
  expect_within_tenth_of_a_percent(lognormal(1'000'000, 1), "lognormal");
}

TEST(Histogram, BimodalPercentilesWithinATenthOfAPercent) {
  expect_within_tenth_of_a_percent(bimodal(1'000'000, 2), "bimodal");
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (std::int64_t v = 0; v < 2048; ++v) h.record(v);
  for (std::int64_t v = 0; v < 2048; ++v) EXPECT_EQ(h.value_at_rank(static_cast<std::uint64_t>(v)), static_cast<double>(v));
}

TEST(Histogram, MergeOfShardsIsBitForBitOneHistogram) {
  const auto samples = lognormal(300'000, 3);
  Histogram whole;
  Histogram shards[4];
  for (std::size_t i = 0; i < samples.size(); ++i) {
    whole.record(samples[i]);
    shards[i % 4].record(samples[i]);
  }
  Histogram merged;
  for (const auto& s : shards) merged.merge(s);
  EXPECT_TRUE(merged == whole);
  Histogram other_order;
  for (int i = 3; i >= 0; --i) other_order.merge(shards[i]);
  EXPECT_TRUE(other_order == whole);
  shards[0].record(1);
  Histogram off_by_one;
  for (const auto& s : shards) off_by_one.merge(s);
  EXPECT_FALSE(off_by_one == whole);
}

TEST(Histogram, OutOfRangeValuesAreClampedAndCounted) {
  Histogram h;
  h.record(-5);
  h.record(Histogram::kHighestTrackable * 2);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.clamped(), 1u);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), Histogram::kHighestTrackable);
}

TEST(Histogram, EmptyAndSingle) {
  Histogram h;
  EXPECT_EQ(h.percentile(95), 0);
  EXPECT_EQ(h.mean(), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  h.record(123'456'789);
  for (double p : kPercentiles) EXPECT_EQ(h.percentile(p), 123'456'789.0);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_TRUE(h == Histogram());
}

TEST(Histogram, RecordNEqualsRepeatedRecord) {
  Histogram a, b;
  a.record_n(777'777, 1000);
  for (int i = 0; i < 1000; ++i) b.record(777'777);
  EXPECT_TRUE(a == b);
}

TEST(Histogram, FixedMemory) {
  // 1 ns .. 1 h at 3 significant digits: 33 buckets of 1024 counters.
  EXPECT_EQ(Histogram::bucket_count(), 33u * 1024u);
}
