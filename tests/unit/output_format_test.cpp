// k6 value formatting: the examples from k6-semantics.md 6.1 plus the edge cases where
// JavaScript's number printing differs from C's.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "inferload/output/k6_format.hpp"
#include "inferload/runtime/duration.hpp"

namespace inferload::output {
namespace {

TEST(JsNumber, IntegersHaveNoFraction) {
  EXPECT_EQ(js_number(1), "1");
  EXPECT_EQ(js_number(100), "100");
  EXPECT_EQ(js_number(-42), "-42");
  EXPECT_EQ(js_number(0), "0");
  EXPECT_EQ(js_number(-0.0), "0");
  EXPECT_EQ(js_number(9007199254740992.0), "9007199254740992");
}

TEST(JsNumber, ShortestRoundTrip) {
  EXPECT_EQ(js_number(0.5), "0.5");
  EXPECT_EQ(js_number(140.36), "140.36");
  EXPECT_EQ(js_number(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(js_number(6.56109), "6.56109");
  EXPECT_EQ(js_number(-2.5), "-2.5");
  EXPECT_EQ(js_number(123.456e3), "123456");
}

TEST(JsNumber, ExponentOnlyOutsideOneMillionthToOneE21) {
  EXPECT_EQ(js_number(1e20), "100000000000000000000");
  EXPECT_EQ(js_number(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(js_number(1e21), "1e+21");
  EXPECT_EQ(js_number(1.5e21), "1.5e+21");
  EXPECT_EQ(js_number(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(js_number(0.000001), "0.000001");
  EXPECT_EQ(js_number(0.0000015), "0.0000015");
  EXPECT_EQ(js_number(1e-7), "1e-7");
  EXPECT_EQ(js_number(1.5e-7), "1.5e-7");
  EXPECT_EQ(js_number(123e-20), "1.23e-18");
  EXPECT_EQ(js_number(5e-324), "5e-324");
}

TEST(JsNumber, NonFinite) {
  EXPECT_EQ(js_number(std::nan("")), "NaN");
  EXPECT_EQ(js_number(HUGE_VAL), "Infinity");
  EXPECT_EQ(js_number(-HUGE_VAL), "-Infinity");
  EXPECT_EQ(json_number(std::nan("")), "null");
  EXPECT_EQ(json_number(HUGE_VAL), "null");
  EXPECT_EQ(json_number(-HUGE_VAL), "null");
  EXPECT_EQ(json_number(0.25), "0.25");
  EXPECT_EQ(json_number(1e21), "1e+21");
}

TEST(JsToFixed, RoundsExactBinaryValueTiesAway) {
  EXPECT_EQ(js_to_fixed(0.5, 0), "1");  // printf("%.0f") gives "0"
  EXPECT_EQ(js_to_fixed(2.5, 0), "3");  // printf gives "2"
  EXPECT_EQ(js_to_fixed(-1.5, 0), "-2");
  EXPECT_EQ(js_to_fixed(0.125, 2), "0.13");
  EXPECT_EQ(js_to_fixed(0.0078125, 6), "0.007813");
  EXPECT_EQ(js_to_fixed(99.5, 0), "100");
  EXPECT_EQ(js_to_fixed(9.995, 2), "9.99");  // binary 9.99499999...
  EXPECT_EQ(js_to_fixed(1.005, 2), "1.00");
  EXPECT_EQ(js_to_fixed(1.45, 1), "1.4");
  EXPECT_EQ(js_to_fixed(0, 2), "0.00");
  EXPECT_EQ(js_to_fixed(-0.0, 2), "0.00");
  EXPECT_EQ(js_to_fixed(-0.001, 2), "-0.00");
  EXPECT_EQ(js_to_fixed(152.355556, 2), "152.36");
  EXPECT_EQ(js_to_fixed(1e21, 2), "1e+21");
  EXPECT_EQ(js_to_fixed(std::nan(""), 2), "NaN");
  EXPECT_THROW(js_to_fixed(1, 101), std::invalid_argument);
}

TEST(FormatTime, ReferenceExamples) {
  EXPECT_EQ(format_time_ms(0), "0s");
  EXPECT_EQ(format_time_ms(0.00085), "850ns");
  EXPECT_EQ(format_time_ms(0.512301), "512.3µs");
  EXPECT_EQ(format_time_ms(0.5123), "512.29µs");  // 0.5123 * 1000 * 100 < 51230 in float64
  EXPECT_EQ(format_time_ms(0.9), "900µs");
  EXPECT_EQ(format_time_ms(140.36), "140.36ms");
  EXPECT_EQ(format_time_ms(1151), "1.15s");
  EXPECT_EQ(format_time_ms(61000), "1m1s");
  EXPECT_EQ(format_time_ms(3723000), "1h2m3s");
}

TEST(FormatTime, TruncatesInBinaryLikeK6) {
  // 5.1 * 100 = 509.99999999999994 in float64, so k6 prints a p(90) of 5.1 ms as "5.09ms".
  EXPECT_EQ(format_time_ms(5.1), "5.09ms");
  EXPECT_EQ(format_time_ms(1150), "1.14s");
  EXPECT_EQ(format_time_ms(140.369), "140.36ms");
  EXPECT_EQ(format_time_ms(59999.999), "59.99s");
  EXPECT_EQ(format_time_ms(999.999), "999.99ms");
}

TEST(FormatTime, MinutesAndHoursUseWholeSeconds) {
  EXPECT_EQ(format_time_ms(60000), "1m0s");
  EXPECT_EQ(format_time_ms(60000.5), "1m0s");
  EXPECT_EQ(format_time_ms(119999), "1m59s");
  EXPECT_EQ(format_time_ms(3600000), "1h0m0s");
  EXPECT_EQ(format_time_ms(90061000), "25h1m1s");
}

TEST(FormatTime, SmallAndOddValues) {
  EXPECT_EQ(format_time_ms(0.000001), "1ns");
  EXPECT_EQ(format_time_ms(0.001), "1µs");
  EXPECT_EQ(format_time_ms(1), "1ms");
  EXPECT_EQ(format_time_ms(1000), "1s");
  EXPECT_EQ(format_time_ms(1500), "1.5s");
  // k6 sends negatives down the nanosecond branch.
  EXPECT_EQ(format_time_ms(-2), "-2000000ns");
}

TEST(FormatTime, ForcedUnitRoundsToTwoDecimals) {
  EXPECT_EQ(format_time_ms(152.355556, TimeUnit::s), "0.15s");
  EXPECT_EQ(format_time_ms(152.355556, TimeUnit::ms), "152.36ms");
  EXPECT_EQ(format_time_ms(152.355556, TimeUnit::us), "152355.56µs");
  EXPECT_EQ(format_time_ms(0, TimeUnit::ms), "0.00ms");
  EXPECT_EQ(format_time_ms(61000, TimeUnit::s), "61.00s");
}

TEST(FormatTime, NanosecondInputConvertsLikeGoDurations) {
  EXPECT_EQ(format_time_ns(850), "850ns");
  EXPECT_EQ(format_time_ns(900000), "900µs");
  EXPECT_EQ(format_time_ns(140360000), "140.36ms");
  EXPECT_EQ(format_time_ns(61e9), "1m1s");
  EXPECT_EQ(format_time_ns(152355556, TimeUnit::ms), "152.36ms");
  // 512300 ns / 1e6 * 1000 * 100 lands just below 51230: k6 prints the same.
  EXPECT_EQ(format_time_ns(512300), "512.29µs");
}

TEST(FormatData, ReferenceExamples) {
  EXPECT_EQ(format_data(4925), "4.9 kB");
  EXPECT_EQ(format_data(519000), "519 kB");
  EXPECT_EQ(format_data(1300000), "1.3 MB");
  EXPECT_EQ(format_data(718), "718 B");
}

TEST(FormatData, Boundaries) {
  EXPECT_EQ(format_data(0), "0 B");
  EXPECT_EQ(format_data(9), "9 B");
  EXPECT_EQ(format_data(10), "10 B");
  EXPECT_EQ(format_data(999), "999 B");
  EXPECT_EQ(format_data(1000), "1.0 kB");
  EXPECT_EQ(format_data(9999), "10 kB");  // rounds to 10.0 after choosing one decimal's unit
  EXPECT_EQ(format_data(76000), "76 kB");
  EXPECT_EQ(format_data(2.5e12), "2.5 TB");
}

TEST(FormatRate, TruncatedPercent) {
  EXPECT_EQ(format_rate(0), "0.00%");
  EXPECT_EQ(format_rate(89.0 / 90), "98.88%");
  EXPECT_EQ(format_rate(1), "100.00%");
  EXPECT_EQ(format_rate(1.0 / 45), "2.22%");
  EXPECT_EQ(format_rate(1.0 / 90), "1.11%");
  EXPECT_EQ(format_rate(0.99999), "99.99%");
  // (0.29*100)*100 = 2899.9999999999995: k6's operation order, k6's result.
  EXPECT_EQ(format_rate(0.29), "28.99%");
}

TEST(FormatPlain, SixDecimalsNoTrailingZeros) {
  EXPECT_EQ(format_plain(45), "45");
  EXPECT_EQ(format_plain(6.56109), "6.56109");
  EXPECT_EQ(format_plain(6.5610895981), "6.56109");
  EXPECT_EQ(format_plain(152.3555555555), "152.355556");
  EXPECT_EQ(format_plain(0.0078125), "0.007813");
  EXPECT_EQ(format_plain(-0.0000001), "0");
  EXPECT_EQ(format_plain(0.0000004), "0");
  EXPECT_EQ(format_plain(1e21), "1e+21");
  EXPECT_EQ(format_plain(0), "0");
}

TEST(FormatValue, DispatchesOnKind) {
  EXPECT_EQ(format_value(140.36, metrics::ValueKind::time), "140.36ms");
  EXPECT_EQ(format_value(140.36, metrics::ValueKind::time, TimeUnit::s), "0.14s");
  EXPECT_EQ(format_value(519000, metrics::ValueKind::data), "519 kB");
  EXPECT_EQ(format_value(13.1221795, metrics::ValueKind::plain), "13.122179");  // binary value lies below the tie
}

TEST(GoDuration, MatchesGoStringer) {
  EXPECT_EQ(runtime::format_go_duration(0), "0s");
  EXPECT_EQ(runtime::format_go_duration(1), "1ns");
  EXPECT_EQ(runtime::format_go_duration(850), "850ns");
  EXPECT_EQ(runtime::format_go_duration(1000), "1µs");
  EXPECT_EQ(runtime::format_go_duration(1500), "1.5µs");
  EXPECT_EQ(runtime::format_go_duration(1001000), "1.001ms");
  EXPECT_EQ(runtime::format_go_duration(500'000'000), "500ms");
  EXPECT_EQ(runtime::format_go_duration(1'500'000'000), "1.5s");
  EXPECT_EQ(runtime::format_go_duration(30'000'000'000), "30s");
  EXPECT_EQ(runtime::format_go_duration(60'000'000'000), "1m0s");
  EXPECT_EQ(runtime::format_go_duration(90'000'000'000), "1m30s");
  EXPECT_EQ(runtime::format_go_duration(7'200'000'000'000), "2h0m0s");
  EXPECT_EQ(runtime::format_go_duration(3'723'500'000'000), "1h2m3.5s");
  EXPECT_EQ(runtime::format_go_duration(360'000'000'000'000), "100h0m0s");
  EXPECT_EQ(runtime::format_go_duration(-90'000'000'000), "-1m30s");
  EXPECT_EQ(runtime::format_go_duration(std::numeric_limits<std::int64_t>::min()), "-2562047h47m16.854775808s");
  EXPECT_EQ(runtime::format_go_duration(std::numeric_limits<std::int64_t>::max()), "2562047h47m16.854775807s");
}

TEST(ParseGoFloat, AcceptsGoDecimalSyntax) {
  EXPECT_EQ(parse_go_float("200"), 200);
  EXPECT_EQ(parse_go_float("0.01"), 0.01);
  EXPECT_EQ(parse_go_float("1e3"), 1000);
  EXPECT_EQ(parse_go_float("1E-3"), 0.001);
  EXPECT_EQ(parse_go_float("+5"), 5);
  EXPECT_EQ(parse_go_float("-2.5"), -2.5);
  EXPECT_EQ(parse_go_float(".5"), 0.5);
  EXPECT_EQ(parse_go_float("5."), 5);
  EXPECT_EQ(parse_go_float("inf"), HUGE_VAL);
  EXPECT_EQ(parse_go_float("-Infinity"), -HUGE_VAL);
  ASSERT_TRUE(parse_go_float("NaN").has_value());
  EXPECT_TRUE(std::isnan(*parse_go_float("NaN")));
}

TEST(ParseGoFloat, RejectsEverythingElse) {
  for (const char* bad : {"", " 5", "5 ", "5ms", "1e", "--5", "+-5", "0x10", "1_000", "nan(1)", "abc", "+", "."}) {
    EXPECT_FALSE(parse_go_float(bad).has_value()) << bad;
  }
  EXPECT_FALSE(parse_go_float("1e999").has_value());
}

TEST(TimeUnitOption, ParsesKnownUnits) {
  EXPECT_EQ(parse_time_unit(""), TimeUnit::mixed);
  EXPECT_EQ(parse_time_unit("s"), TimeUnit::s);
  EXPECT_EQ(parse_time_unit("ms"), TimeUnit::ms);
  EXPECT_EQ(parse_time_unit("us"), TimeUnit::us);
  EXPECT_THROW(parse_time_unit("ns"), std::invalid_argument);
  EXPECT_THROW(parse_time_unit("µs"), std::invalid_argument);
  try {
    parse_time_unit("m");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'m'"), std::string::npos);
  }
}

TEST(DisplayWidth, CountsCodePoints) {
  EXPECT_EQ(display_width("900µs"), 5u);
  EXPECT_EQ(display_width("✓ ok"), 4u);
  EXPECT_EQ(display_width(""), 0u);
}

}  // namespace
}  // namespace inferload::output
