#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "inferload/metrics/histogram.hpp"
#include "inferload/output/trend_stats.hpp"

namespace inferload::output {
namespace {

using Kind = TrendStat::Kind;

std::string error_of(std::string_view list) {
  try {
    parse_trend_stats(list);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(TrendStats, DefaultList) {
  const auto stats = parse_trend_stats(kDefaultTrendStats);
  ASSERT_EQ(stats.size(), 6u);
  EXPECT_EQ(stats[0].key, "avg");
  EXPECT_EQ(stats[0].kind, Kind::avg);
  EXPECT_EQ(stats[1].kind, Kind::min);
  EXPECT_EQ(stats[2].kind, Kind::med);
  EXPECT_EQ(stats[2].percentile, 50);
  EXPECT_EQ(stats[3].kind, Kind::max);
  EXPECT_EQ(stats[4].key, "p(90)");
  EXPECT_EQ(stats[4].kind, Kind::percentile);
  EXPECT_EQ(stats[4].percentile, 90);
  EXPECT_EQ(stats[5].percentile, 95);
  EXPECT_EQ(default_trend_stats(), (std::vector<std::string>{"avg", "min", "med", "max", "p(90)", "p(95)"}));
}

TEST(TrendStats, PercentilesKeepTheUsersSpelling) {
  const auto stats = parse_trend_stats("p(99.9),p(0),p(100),p(95.0),count");
  ASSERT_EQ(stats.size(), 5u);
  EXPECT_EQ(stats[0].key, "p(99.9)");
  EXPECT_DOUBLE_EQ(stats[0].percentile, 99.9);
  EXPECT_EQ(stats[1].percentile, 0);
  EXPECT_EQ(stats[2].percentile, 100);
  EXPECT_EQ(stats[3].key, "p(95.0)");
  EXPECT_EQ(stats[3].percentile, 95);
  EXPECT_EQ(stats[4].kind, Kind::count);
}

TEST(TrendStats, ListFormsAndSpaces) {
  const auto spaced = parse_trend_stats(" avg , p(99) ");
  ASSERT_EQ(spaced.size(), 2u);
  EXPECT_EQ(spaced[1].key, "p(99)");
  const auto from_vector = parse_trend_stats(std::vector<std::string>{"max", "p(99.99)"});
  ASSERT_EQ(from_vector.size(), 2u);
  EXPECT_EQ(from_vector[1].key, "p(99.99)");
  // Duplicates are legal; the outputs decide what to do with them.
  EXPECT_EQ(parse_trend_stats("avg,avg").size(), 2u);
}

TEST(TrendStats, InvalidItemsNameTheItem) {
  for (const char* bad : {"p(101)", "p(-1)", "p()", "p(abc)", "median", "P(95)", "p95", "p(95", "Avg", "p( 95)"}) {
    const std::string msg = error_of(bad);
    EXPECT_NE(msg.find(std::string("'") + bad + "'"), std::string::npos) << bad << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos);
  }
  EXPECT_EQ(error_of("avg,p(200),min"),
            "invalid trend stat 'p(200)': use avg, min, med, max, count or p(N) with 0 <= N <= 100");
  EXPECT_NE(error_of("avg,,min").find("''"), std::string::npos);
  // An empty list is refused like ",,,", not taken as "no columns".
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("  ").find("empty"), std::string::npos);
  EXPECT_NE(error_of(",,,").find("''"), std::string::npos);
  EXPECT_THROW(parse_trend_stats(std::vector<std::string>{"avg", "mean"}), std::invalid_argument);
}

TEST(TrendStats, ValuesOfATimeTrendAreMilliseconds) {
  metrics::Histogram h;
  h.record(1000);  // 1 µs: below 2048 the histogram is exact
  h.record(2000);
  const auto stats = parse_trend_stats("avg,min,med,max,count,p(90)");
  const auto v = [&](std::size_t i) { return trend_stat_value(stats[i], h, metrics::ValueKind::time); };
  EXPECT_DOUBLE_EQ(v(0), 0.0015);
  EXPECT_DOUBLE_EQ(v(1), 0.001);
  EXPECT_DOUBLE_EQ(v(2), 0.0015);
  EXPECT_DOUBLE_EQ(v(3), 0.002);
  EXPECT_EQ(v(4), 2);  // count is never scaled
  EXPECT_DOUBLE_EQ(v(5), 0.0019);
}

TEST(TrendStats, PlainAndEmptyTrends) {
  metrics::Histogram h;
  for (int x : {120, 141, 684}) h.record(x);
  const auto stats = parse_trend_stats("avg,med,max");
  EXPECT_DOUBLE_EQ(trend_stat_value(stats[0], h, metrics::ValueKind::plain), 315);
  EXPECT_DOUBLE_EQ(trend_stat_value(stats[1], h, metrics::ValueKind::plain), 141);
  EXPECT_DOUBLE_EQ(trend_stat_value(stats[2], h, metrics::ValueKind::data), 684);

  const metrics::Histogram empty;
  for (const auto& s : parse_trend_stats("avg,min,med,max,count,p(99)")) {
    EXPECT_EQ(trend_stat_value(s, empty, metrics::ValueKind::time), 0) << s.key;
  }
}

TEST(Percentile, SharedParser) {
  double p = -1;
  EXPECT_TRUE(parse_percentile("p(99.9)", p));
  EXPECT_DOUBLE_EQ(p, 99.9);
  EXPECT_TRUE(parse_percentile("p(1e1)", p));
  EXPECT_EQ(p, 10);
  EXPECT_FALSE(parse_percentile("p(NaN)", p));
  EXPECT_FALSE(parse_percentile("p(100.1)", p));
  EXPECT_FALSE(parse_percentile("avg", p));
}

}  // namespace
}  // namespace inferload::output
