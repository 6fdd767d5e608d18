#pragma once
// k6's execution segments (k6-semantics.md section 3): the part of one test a process runs when
// several processes split it. A segment FROM:TO of a sequence of boundaries owns a fixed, striped
// subset of the global indices 0, 1, 2, ... (VU numbers, iterations, arrival slots) whose density
// is its length, so that the segments of one sequence together own every index exactly once: no
// overlap, no gap. All arithmetic is exact, on fractions of 64-bit integers.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace inferload::load {

// A fraction in lowest terms, den > 0.
struct Fraction {
  std::int64_t num = 0;
  std::int64_t den = 1;
  friend bool operator==(const Fraction&, const Fraction&) = default;
};
// num/den in lowest terms. Throws std::invalid_argument unless den > 0.
Fraction fraction(std::int64_t num, std::int64_t den);
// As k6 prints it (Go's RatString): "1/3", or "1" when the denominator is 1.
std::string to_string(const Fraction& f);

struct ExecutionSegment {
  Fraction from{0, 1};
  Fraction to{1, 1};
  friend bool operator==(const ExecutionSegment&, const ExecutionSegment&) = default;
};
// "1/3:2/3"
std::string to_string(const ExecutionSegment& s);

// --execution-segment's syntax: "FROM:TO", "TO" (which is 0:TO) or "" (0:1), each number a
// fraction ("1/4"), a decimal ("0.25") or a whole percentage ("25%"), 0 <= FROM < TO <= 1.
// Throws std::invalid_argument with k6's wording; the caller names the flag.
ExecutionSegment parse_execution_segment(std::string_view text);
// --execution-segment-sequence's: "P0,P1,...,Pn" with n >= 1, each point above the one before,
// all within [0, 1]. "" gives no points (no sequence). Throws std::invalid_argument as above.
std::vector<Fraction> parse_execution_segment_sequence(std::string_view text);
// "0,1/3,2/3,1"
std::string sequence_to_string(const std::vector<Fraction>& points);

// One segment's share of every indexed thing of a test, within its sequence: k6's ExecutionTuple.
// Cheap to copy (the striping is shared, immutable).
class SegmentShare {
 public:
  // The common denominator of a sequence's segment lengths is the striping's period; one entry
  // per index of it is kept, so it is bounded.
  static constexpr std::int64_t kMaxDenominator = 1'000'000;

  // The whole test: the one segment 0:1, which owns every index.
  SegmentShare();
  // `segment` within `sequence` (its points), the sequence filled to start at 0 and end at 1;
  // with no points, the sequence is 0, FROM, TO, 1 (k6's fallback). Throws std::invalid_argument
  // "couldn't find segment S in sequence Q" when the segment is not one of the sequence's, or
  // when the sequence's common denominator is above kMaxDenominator.
  static SegmentShare of(const ExecutionSegment& segment, const std::vector<Fraction>& sequence);

  // How many of the indices 0 .. value-1 this segment owns (k6's ScaleInt64). The shares of the
  // segments of one sequence add up to `value`, and a share never shrinks as `value` grows.
  std::int64_t share(std::int64_t value) const noexcept;
  // The global index of this segment's `local`-th (0-based) own index.
  std::uint64_t global_index(std::uint64_t local) const noexcept;
  // The sequence re-derived from every segment's share of `value` (k6's
  // GetNewExecutionTupleFromValue, section 3.4), with this segment's place in it; it owns
  // nothing when this segment's share of `value` is 0.
  SegmentShare for_value(std::int64_t value) const;

  bool owns_nothing() const noexcept;
  // A sequence of one segment: nothing is split.
  bool whole() const noexcept;
  // The segment that starts at 0 (whatever its stripes): the one that runs setup and teardown.
  bool first() const noexcept;
  const ExecutionSegment& segment() const noexcept;
  // Its place in the filled sequence, from 0.
  std::size_t index() const noexcept;
  // The filled sequence's points, from 0 to 1.
  const std::vector<Fraction>& sequence() const noexcept;
  // TO - FROM, for display ("33.33%").
  double length() const noexcept;

  struct Stripes;  // the sequence and its striping, in execution_segment.cpp

 private:
  explicit SegmentShare(std::shared_ptr<const Stripes> s) : s_(std::move(s)) {}
  std::shared_ptr<const Stripes> s_;
};

}  // namespace inferload::load
