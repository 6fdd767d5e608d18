// Execution segments against the worked examples of k6-semantics.md section 3 (which agree with
// k6's own TestGetStripedOffsets), and the property they exist for: the segments of one sequence
// own every index exactly once.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "inferload/load/execution_segment.hpp"

namespace inferload {
namespace {

using load::ExecutionSegment;
using load::Fraction;
using load::SegmentShare;

std::vector<SegmentShare> segments_of(const std::string& sequence) {
  const std::vector<Fraction> points = load::parse_execution_segment_sequence(sequence);
  std::vector<SegmentShare> out;
  for (std::size_t i = 0; i + 1 < points.size(); ++i) out.push_back(SegmentShare::of({points[i], points[i + 1]}, points));
  return out;
}

std::vector<std::uint64_t> first_indices(const SegmentShare& s, std::size_t n) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t l = 0; l < n; ++l) out.push_back(s.global_index(l));
  return out;
}

std::vector<std::int64_t> shares(const std::vector<SegmentShare>& segments, std::int64_t value) {
  std::vector<std::int64_t> out;
  for (const SegmentShare& s : segments) out.push_back(s.share(value));
  return out;
}

std::string error_of(void (*f)(const char*), const char* text) {
  try {
    f(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}
void parse_segment(const char* t) { load::parse_execution_segment(t); }
void parse_sequence(const char* t) { load::parse_execution_segment_sequence(t); }

TEST(ExecutionSegment, ReadsFractionsDecimalsAndWholePercentagesExactly) {
  EXPECT_EQ(load::to_string(load::parse_execution_segment("1/4:2/4")), "1/4:1/2");
  EXPECT_EQ(load::to_string(load::parse_execution_segment("0.25")), "0:1/4");
  EXPECT_EQ(load::to_string(load::parse_execution_segment("25%:50%")), "1/4:1/2");
  EXPECT_EQ(load::to_string(load::parse_execution_segment("2/4:75%")), "1/2:3/4");
  EXPECT_EQ(load::to_string(load::parse_execution_segment("")), "0:1");
  EXPECT_EQ(load::to_string(load::parse_execution_segment("1/3:2/3")), "1/3:2/3");
  EXPECT_EQ(load::to_string(load::parse_execution_segment("0.3:0.5")), "3/10:1/2");
  EXPECT_EQ(load::sequence_to_string(load::parse_execution_segment_sequence("0,1/4,0.5,75%,1")), "0,1/4,1/2,3/4,1");
  EXPECT_TRUE(load::parse_execution_segment_sequence("").empty());
}

TEST(ExecutionSegment, RefusesWhatK6RefusesWithItsWords) {
  EXPECT_EQ(error_of(parse_segment, "12.5%"), "'12.5%' is not a valid percentage");
  EXPECT_EQ(error_of(parse_segment, "half"), "'half' is not a valid percentage, decimal, fraction or interval value");
  EXPECT_EQ(error_of(parse_segment, "1/0"), "'1/0' is not a valid percentage, decimal, fraction or interval value");
  EXPECT_EQ(error_of(parse_segment, "1/2:1/4"), "segment start(0.50) must be less than its end(0.25)");
  EXPECT_EQ(error_of(parse_segment, "-1/2:1"), "segment start value must be at least 0 but was -0.50");
  EXPECT_EQ(error_of(parse_segment, "0:3/2"), "segment end value can't be more than 1 but was 1.50");
  EXPECT_EQ(error_of(parse_segment, "0"), "segment start(0.00) must be less than its end(0.00)");
  EXPECT_EQ(error_of(parse_sequence, "1/2"), "at least 2 points are needed for an execution segment sequence, 1 given");
  EXPECT_EQ(error_of(parse_sequence, "0,1/2,1/4,1"), "segment start(0.50) must be less than its end(0.25)");
  EXPECT_EQ(error_of(parse_sequence, "0,,1"), "'' is not a valid percentage, decimal, fraction or interval value");
}

TEST(ExecutionSegment, ASegmentMustBeOneOfItsSequence) {
  const auto seq = load::parse_execution_segment_sequence("0,1/4,1/2,1");
  try {
    SegmentShare::of(load::parse_execution_segment("1/3:2/3"), seq);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "couldn't find segment 1/3:2/3 in sequence 0,1/4,1/2,1");
  }
  // Gaps at the ends are filled: 1/4,1/2 is 0,1/4,1/2,1.
  const SegmentShare s = SegmentShare::of(load::parse_execution_segment("1/4:1/2"),
                                          load::parse_execution_segment_sequence("1/4,1/2"));
  EXPECT_EQ(load::sequence_to_string(s.sequence()), "0,1/4,1/2,1");
  EXPECT_THROW(SegmentShare::of(load::parse_execution_segment("0:1/1000003"), {}), std::invalid_argument);
}

// k6-semantics.md 3.2's table.
TEST(ExecutionSegment, StripesAsTheReferenceTable) {
  auto quarters = segments_of("0,1/4,1/2,3/4,1");
  EXPECT_EQ(first_indices(quarters[0], 3), (std::vector<std::uint64_t>{0, 4, 8}));
  EXPECT_EQ(first_indices(quarters[1], 3), (std::vector<std::uint64_t>{1, 5, 9}));
  EXPECT_EQ(first_indices(quarters[2], 3), (std::vector<std::uint64_t>{2, 6, 10}));
  EXPECT_EQ(first_indices(quarters[3], 3), (std::vector<std::uint64_t>{3, 7, 11}));

  auto half_quarters = segments_of("0,1/2,3/4,1");
  EXPECT_EQ(first_indices(half_quarters[0], 4), (std::vector<std::uint64_t>{0, 2, 4, 6}));
  EXPECT_EQ(first_indices(half_quarters[1], 3), (std::vector<std::uint64_t>{1, 5, 9}));
  EXPECT_EQ(first_indices(half_quarters[2], 3), (std::vector<std::uint64_t>{3, 7, 11}));

  auto thirds = segments_of("0,1/3,2/3,1");
  EXPECT_EQ(first_indices(thirds[0], 3), (std::vector<std::uint64_t>{0, 3, 6}));
  EXPECT_EQ(first_indices(thirds[1], 3), (std::vector<std::uint64_t>{1, 4, 7}));
  EXPECT_EQ(first_indices(thirds[2], 3), (std::vector<std::uint64_t>{2, 5, 8}));

  // The largest segment gets index 0, not the first one.
  auto fifth = segments_of("0,1/5,1");
  EXPECT_EQ(first_indices(fifth[0], 3), (std::vector<std::uint64_t>{1, 6, 11}));
  EXPECT_EQ(first_indices(fifth[1], 8), (std::vector<std::uint64_t>{0, 2, 3, 4, 5, 7, 8, 9}));

  // Start and cyclic gaps, as k6's GetStripedOffsets gives them.
  auto tenths = segments_of("0,0.3,0.5,0.6,0.7,0.8,0.9,1");
  EXPECT_EQ(first_indices(tenths[0], 6), (std::vector<std::uint64_t>{0, 4, 7, 10, 14, 17}));
  EXPECT_EQ(first_indices(tenths[1], 4), (std::vector<std::uint64_t>{1, 5, 11, 15}));
  EXPECT_EQ(first_indices(tenths[5], 3), (std::vector<std::uint64_t>{8, 18, 28}));
}

// k6-semantics.md 3.3's table.
TEST(ExecutionSegment, ScalesIntegersAsTheReferenceTable) {
  const auto quarters = segments_of("0,1/4,1/2,3/4,1");
  const auto half_quarters = segments_of("0,1/2,3/4,1");
  const auto thirds = segments_of("0,1/3,2/3,1");
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(shares(quarters, 1), (V{1, 0, 0, 0}));
  EXPECT_EQ(shares(quarters, 2), (V{1, 1, 0, 0}));
  EXPECT_EQ(shares(quarters, 3), (V{1, 1, 1, 0}));
  EXPECT_EQ(shares(quarters, 5), (V{2, 1, 1, 1}));
  EXPECT_EQ(shares(quarters, 10), (V{3, 3, 2, 2}));
  EXPECT_EQ(shares(half_quarters, 1), (V{1, 0, 0}));
  EXPECT_EQ(shares(half_quarters, 2), (V{1, 1, 0}));
  EXPECT_EQ(shares(half_quarters, 3), (V{2, 1, 0}));
  EXPECT_EQ(shares(half_quarters, 5), (V{3, 1, 1}));
  EXPECT_EQ(shares(half_quarters, 10), (V{5, 3, 2}));
  EXPECT_EQ(shares(thirds, 1), (V{1, 0, 0}));
  EXPECT_EQ(shares(thirds, 2), (V{1, 1, 0}));
  EXPECT_EQ(shares(thirds, 3), (V{1, 1, 1}));
  EXPECT_EQ(shares(thirds, 5), (V{2, 2, 1}));
  EXPECT_EQ(shares(thirds, 10), (V{4, 3, 3}));
  EXPECT_EQ(SegmentShare().share(12345), 12345);
}

// k6-semantics.md 3.4's example, and 3.5's shared-iterations one.
TEST(ExecutionSegment, ReSegmentsByAValue) {
  const auto halves = segments_of("0,1/2,1");
  const SegmentShare a = halves[0].for_value(3), b = halves[1].for_value(3);
  EXPECT_EQ(load::sequence_to_string(a.sequence()), "0,2/3,1");
  EXPECT_EQ(first_indices(a, 6), (std::vector<std::uint64_t>{0, 2, 3, 5, 6, 8}));
  EXPECT_EQ(first_indices(b, 3), (std::vector<std::uint64_t>{1, 4, 7}));

  // Thirds of 5 VUs and 100 shared iterations: VUs 2/2/1, iterations 40/40/20.
  const auto thirds = segments_of("0,1/3,2/3,1");
  EXPECT_EQ(shares(thirds, 5), (std::vector<std::int64_t>{2, 2, 1}));
  std::vector<std::int64_t> iterations;
  for (const SegmentShare& s : thirds) iterations.push_back(s.for_value(5).share(100));
  EXPECT_EQ(iterations, (std::vector<std::int64_t>{40, 40, 20}));

  // A segment with no share of the value has no work.
  EXPECT_TRUE(thirds[1].for_value(1).owns_nothing());
  EXPECT_EQ(thirds[1].for_value(1).share(100), 0);
  EXPECT_FALSE(thirds[0].for_value(1).owns_nothing());
  EXPECT_EQ(thirds[0].for_value(1).share(100), 100);
  // A value the period divides leaves the sequence as it is.
  EXPECT_EQ(load::sequence_to_string(thirds[2].for_value(6).sequence()), "0,1/3,2/3,1");
}

// The pitfall of k6-semantics.md 3.1: thirds started without their sequence all take 1, 4, 7.
TEST(ExecutionSegment, WithoutTheSequenceThirdsOverlap) {
  for (const char* text : {"0:1/3", "1/3:2/3", "2/3:1"}) {
    const SegmentShare s = SegmentShare::of(load::parse_execution_segment(text), {});
    EXPECT_EQ(first_indices(s, 3), (std::vector<std::uint64_t>{1, 4, 7})) << text;
  }
}

TEST(ExecutionSegment, TheSegmentsOfASequenceOwnEveryIndexExactlyOnce) {
  for (const char* sequence : {"0,1/3,2/3,1", "0,1/2,3/4,1", "0,1/5,1", "0,0.3,0.5,0.6,0.7,0.8,0.9,1",
                               "0,1/7,2/5,1/2,5/6,1", "0,1/1000,1"}) {
    const auto segments = segments_of(sequence);
    for (const std::int64_t value : {1, 2, 3, 7, 10, 99, 1000, 1001, 4321}) {
      std::multiset<std::uint64_t> taken;
      std::int64_t total = 0;
      for (const SegmentShare& s : segments) {
        const std::int64_t n = s.share(value);
        total += n;
        for (std::int64_t l = 0; l < n; ++l) taken.insert(s.global_index(static_cast<std::uint64_t>(l)));
        // Re-derived by a value, the segments still own every index once.
        const SegmentShare by = s.for_value(value);
        if (!by.owns_nothing()) {
          EXPECT_EQ(by.share(value), n) << sequence << " " << value;
        }
      }
      EXPECT_EQ(total, value) << sequence;
      ASSERT_EQ(taken.size(), static_cast<std::size_t>(value)) << sequence;
      std::uint64_t expect = 0;
      for (const std::uint64_t i : taken) EXPECT_EQ(i, expect++) << sequence << " " << value;
    }
  }
}

TEST(ExecutionSegment, OnlyTheFirstSegmentIsFirst) {
  const auto fifth = segments_of("0,1/5,1");
  EXPECT_TRUE(fifth[0].first());
  EXPECT_FALSE(fifth[1].first());
  EXPECT_TRUE(SegmentShare().first());
  EXPECT_TRUE(SegmentShare().whole());
  EXPECT_FALSE(fifth[0].whole());
  EXPECT_NEAR(fifth[1].length(), 0.8, 1e-12);
}

}  // namespace
}  // namespace inferload
