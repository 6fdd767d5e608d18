// Kubernetes quantities as MODEL_MEMORY_BYTES carries them: every suffix, exponents, fractions
// rounded up as Quantity.Value() rounds them, and the values that are not quantities.
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "inferload/scv2/quantity.hpp"

using inferload::scv2::parse_quantity;

namespace {

constexpr std::uint64_t Ki = 1024;

std::string message_of(const std::string& text) {
  try {
    parse_quantity(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Quantity, TheBaseJobsMemories) {
  EXPECT_EQ(parse_quantity("400k"), 400'000u);
  EXPECT_EQ(parse_quantity("8M"), 8'000'000u);
  EXPECT_EQ(parse_quantity("43M"), 43'000'000u);
  EXPECT_EQ(parse_quantity("200k"), 200'000u);
  EXPECT_EQ(parse_quantity("3M"), 3'000'000u);
}

TEST(Quantity, PlainNumbers) {
  EXPECT_EQ(parse_quantity("0"), 0u);
  EXPECT_EQ(parse_quantity("500"), 500u);
  EXPECT_EQ(parse_quantity("20000"), 20'000u);
  EXPECT_EQ(parse_quantity("+7"), 7u);
  EXPECT_EQ(parse_quantity("007"), 7u);
  EXPECT_EQ(parse_quantity("-0"), 0u);
  EXPECT_EQ(parse_quantity("0Ei"), 0u);
  EXPECT_EQ(parse_quantity("18446744073709551615"), UINT64_MAX);
}

TEST(Quantity, DecimalSuffixes) {
  EXPECT_EQ(parse_quantity("1k"), 1'000u);
  EXPECT_EQ(parse_quantity("1M"), 1'000'000u);
  EXPECT_EQ(parse_quantity("1G"), 1'000'000'000u);
  EXPECT_EQ(parse_quantity("1T"), 1'000'000'000'000u);
  EXPECT_EQ(parse_quantity("1P"), 1'000'000'000'000'000u);
  EXPECT_EQ(parse_quantity("1E"), 1'000'000'000'000'000'000u);  // "E" alone is exa, not an exponent
  EXPECT_EQ(parse_quantity("18E"), 18'000'000'000'000'000'000u);
}

TEST(Quantity, BinarySuffixes) {
  EXPECT_EQ(parse_quantity("1Ki"), Ki);
  EXPECT_EQ(parse_quantity("100Ki"), 102'400u);
  EXPECT_EQ(parse_quantity("1Mi"), Ki * Ki);
  EXPECT_EQ(parse_quantity("3Gi"), 3 * Ki * Ki * Ki);
  EXPECT_EQ(parse_quantity("1Ti"), Ki * Ki * Ki * Ki);
  EXPECT_EQ(parse_quantity("1Pi"), Ki * Ki * Ki * Ki * Ki);
  EXPECT_EQ(parse_quantity("15Ei"), 15 * Ki * Ki * Ki * Ki * Ki * Ki);
}

TEST(Quantity, Exponents) {
  EXPECT_EQ(parse_quantity("1e3"), 1'000u);
  EXPECT_EQ(parse_quantity("1E3"), 1'000u);
  EXPECT_EQ(parse_quantity("12e6"), 12'000'000u);
  EXPECT_EQ(parse_quantity("1e+3"), 1'000u);
  EXPECT_EQ(parse_quantity("2.5e2"), 250u);
  EXPECT_EQ(parse_quantity("1e0"), 1u);
  EXPECT_EQ(parse_quantity("1e19"), 10'000'000'000'000'000'000u);
  EXPECT_EQ(parse_quantity("5e-1"), 1u);  // 0.5, rounded up
  EXPECT_EQ(parse_quantity("1e-999999999999"), 1u);
  EXPECT_EQ(parse_quantity("0e999999999999"), 0u);
}

TEST(Quantity, FractionsRoundUpAsValueDoes) {
  EXPECT_EQ(parse_quantity("1.5Gi"), 1'610'612'736u);  // exactly 1.5 * 2^30
  EXPECT_EQ(parse_quantity("0.5Ki"), 512u);
  EXPECT_EQ(parse_quantity("1.5"), 2u);
  EXPECT_EQ(parse_quantity("0.1"), 1u);
  EXPECT_EQ(parse_quantity(".5"), 1u);
  EXPECT_EQ(parse_quantity("2."), 2u);
  EXPECT_EQ(parse_quantity("1.0000"), 1u);
  EXPECT_EQ(parse_quantity("1.0001k"), 1'001u);  // 1000.1
  EXPECT_EQ(parse_quantity("1.2345k"), 1'235u);  // 1234.5
  EXPECT_EQ(parse_quantity("0.001Ki"), 2u);      // 1.024
}

TEST(Quantity, SubunitSuffixesRoundUp) {
  EXPECT_EQ(parse_quantity("1m"), 1u);
  EXPECT_EQ(parse_quantity("1000m"), 1u);
  EXPECT_EQ(parse_quantity("1001m"), 2u);
  EXPECT_EQ(parse_quantity("1500m"), 2u);
  EXPECT_EQ(parse_quantity("0m"), 0u);
  EXPECT_EQ(parse_quantity("1u"), 1u);
  EXPECT_EQ(parse_quantity("3000000000n"), 3u);
}

TEST(Quantity, NotQuantities) {
  for (const char* text : {"", "k", ".", "-", "+", "12x", "12K", "12ki", "12KB", "12 k", " 12", "12k ", "1e", "1e+",
                           "1e3k", "1.2.3", "0x10", "1,5", "Gi", "1Gii", "1.5.Gi", "e3", "12mi", "infinity", "nan"}) {
    const std::string m = message_of(text);
    std::string expected = "\"";
    expected.append(text).append("\" is not a Kubernetes quantity");
    EXPECT_EQ(m.rfind(expected, 0), 0u) << "[" << text << "] " << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

TEST(Quantity, NegativeValues) {
  EXPECT_EQ(message_of("-1"), "\"-1\" is negative");
  EXPECT_EQ(message_of("-400k"), "\"-400k\" is negative");
  EXPECT_EQ(message_of("-1m"), "\"-1m\" is negative");
}

TEST(Quantity, ValuesAbove64Bits) {
  EXPECT_EQ(message_of("18446744073709551616"), "\"18446744073709551616\" is larger than 2^64-1");
  EXPECT_EQ(message_of("16Ei"), "\"16Ei\" is larger than 2^64-1");  // 2^64
  EXPECT_EQ(message_of("19E"), "\"19E\" is larger than 2^64-1");
  EXPECT_EQ(message_of("1e20"), "\"1e20\" is larger than 2^64-1");
  EXPECT_EQ(message_of("1e999999999999"), "\"1e999999999999\" is larger than 2^64-1");
  EXPECT_EQ(message_of("18446744073709551615.5"), "\"18446744073709551615.5\" is larger than 2^64-1");  // rounds up past it
  EXPECT_EQ(message_of("123456789012345678901234567890"), "\"123456789012345678901234567890\" is larger than 2^64-1");
  EXPECT_EQ(parse_quantity("18446744073709551615000m"), UINT64_MAX);
}
