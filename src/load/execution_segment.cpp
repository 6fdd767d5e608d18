// k6's striping (k6-semantics.md 3.2-3.4, lib/execution_segment.go): each segment owns n_j of
// every D consecutive indices, D the common denominator of the segment lengths and n_j its length
// times D, spread as evenly as k6 spreads them, so that every process of a sequence computes the
// same assignment on its own.
#include <algorithm>
#include <stdexcept>

#include "fraction.hpp"
#include "inferload/load/execution_segment.hpp"

namespace inferload::load {

struct SegmentShare::Stripes {
  std::vector<Fraction> points;  // the filled sequence, 0 to 1
  std::size_t index = 0;         // this segment: points[index] to points[index + 1]
  ExecutionSegment segment;
  std::int64_t period = 1;  // D
  // Per segment of the sequence, the indices of [0, D) it owns, ascending.
  std::vector<std::vector<std::int64_t>> owned;
  bool nothing = false;  // re-derived by a value of which this segment has no share

  const std::vector<std::int64_t>& mine() const noexcept { return owned[index]; }
  std::int64_t share_of(std::size_t segment, std::int64_t value) const noexcept {
    const std::vector<std::int64_t>& o = owned[segment];
    const auto below = std::lower_bound(o.begin(), o.end(), value % period) - o.begin();
    return value / period * static_cast<std::int64_t>(o.size()) + below;
  }
};

namespace {

using Stripes = std::shared_ptr<SegmentShare::Stripes>;

[[noreturn]] void too_fine(const std::vector<Fraction>& points) {
  throw std::invalid_argument("the sequence " + sequence_to_string(points) +
                              " splits the test finer than 1/" + std::to_string(SegmentShare::kMaxDenominator));
}

// Every index of [0, D) to the segment k6 gives it: walking the segments longest first (ties in
// sequence order), the first one whose next index is due, i >= ceil(taken * D / n), takes it.
void stripe(SegmentShare::Stripes& s) {
  const std::size_t count = s.points.size() - 1;
  std::vector<std::int64_t> n(count);
  std::int64_t period = 1;
  std::vector<Fraction> lengths(count);
  for (std::size_t j = 0; j < count; ++j) {
    const Fraction& a = s.points[j];
    const Fraction& b = s.points[j + 1];
    if (!make_fraction(static_cast<__int128>(b.num) * a.den - static_cast<__int128>(a.num) * b.den,
                       static_cast<__int128>(a.den) * b.den, lengths[j])) {
      too_fine(s.points);
    }
    const __int128 lcm = static_cast<__int128>(period) / gcd128(period, lengths[j].den) * lengths[j].den;
    if (lcm > SegmentShare::kMaxDenominator) too_fine(s.points);
    period = static_cast<std::int64_t>(lcm);
  }
  for (std::size_t j = 0; j < count; ++j) n[j] = lengths[j].num * (period / lengths[j].den);
  std::vector<std::size_t> order(count);
  for (std::size_t j = 0; j < count; ++j) order[j] = j;
  std::stable_sort(order.begin(), order.end(), [&n](std::size_t x, std::size_t y) { return n[x] > n[y]; });

  s.period = period;
  s.owned.assign(count, {});
  for (std::size_t j = 0; j < count; ++j) s.owned[j].reserve(static_cast<std::size_t>(n[j]));
  for (std::int64_t i = 0; i < period; ++i) {
    // Some segment always qualifies: were none due, the sum over j of i * n_j < taken_j * D
    // would say i * D < i * D.
    for (const std::size_t j : order) {
      const auto taken = static_cast<__int128>(s.owned[j].size());
      if (static_cast<__int128>(i) * n[j] >= taken * period) {
        s.owned[j].push_back(i);
        break;
      }
    }
  }
}

Stripes from_points(std::vector<Fraction> points, std::size_t index) {
  auto s = std::make_shared<SegmentShare::Stripes>();
  s->points = std::move(points);
  s->index = index;
  s->segment = {s->points[index], s->points[index + 1]};
  stripe(*s);
  return s;
}

}  // namespace

SegmentShare::SegmentShare() : s_(from_points({Fraction{0, 1}, Fraction{1, 1}}, 0)) {}

SegmentShare SegmentShare::of(const ExecutionSegment& segment, const std::vector<Fraction>& sequence) {
  const Fraction zero{0, 1}, one{1, 1};
  std::vector<Fraction> points = sequence;
  if (points.empty()) points = {segment.from, segment.to};
  if (!(points.front() == zero)) points.insert(points.begin(), zero);
  if (!(points.back() == one)) points.push_back(one);
  for (std::size_t j = 0; j + 1 < points.size(); ++j) {
    if (points[j] == segment.from && points[j + 1] == segment.to) return SegmentShare(from_points(std::move(points), j));
  }
  throw std::invalid_argument("couldn't find segment " + to_string(segment) + " in sequence " +
                              sequence_to_string(points));
}

std::int64_t SegmentShare::share(std::int64_t value) const noexcept {
  if (value <= 0 || s_->nothing) return 0;
  return s_->share_of(s_->index, value);
}

std::uint64_t SegmentShare::global_index(std::uint64_t local) const noexcept {
  const std::vector<std::int64_t>& mine = s_->mine();
  if (s_->nothing || mine.empty()) return UINT64_MAX;
  const std::uint64_t per_period = mine.size();
  return local / per_period * static_cast<std::uint64_t>(s_->period) +
         static_cast<std::uint64_t>(mine[static_cast<std::size_t>(local % per_period)]);
}

SegmentShare SegmentShare::for_value(std::int64_t value) const {
  if (s_->nothing || whole() || (value > 0 && value % s_->period == 0)) return *this;
  std::vector<Fraction> points{Fraction{0, 1}};
  std::size_t index = 0;
  std::int64_t mine = 0;
  std::int64_t before = 0;
  for (std::size_t j = 0; j + 1 < s_->points.size() && value > 0; ++j) {
    const std::int64_t n = s_->share_of(j, value);
    if (n == 0) continue;
    if (j == s_->index) {
      index = points.size() - 1;
      mine = n;
    }
    before += n;
    Fraction p;
    make_fraction(before, value, p);
    points.push_back(p);
  }
  if (mine == 0) {
    auto s = std::make_shared<Stripes>(*s_);
    s->nothing = true;
    return SegmentShare(std::move(s));
  }
  // Its denominator divides `value`: within kMaxDenominator for every value the engine scales by.
  return SegmentShare(from_points(std::move(points), index));
}

bool SegmentShare::owns_nothing() const noexcept { return s_->nothing; }
bool SegmentShare::whole() const noexcept { return s_->points.size() == 2; }
bool SegmentShare::first() const noexcept { return s_->segment.from.num == 0; }
const ExecutionSegment& SegmentShare::segment() const noexcept { return s_->segment; }
std::size_t SegmentShare::index() const noexcept { return s_->index; }
const std::vector<Fraction>& SegmentShare::sequence() const noexcept { return s_->points; }

double SegmentShare::length() const noexcept {
  const ExecutionSegment& g = s_->segment;
  return static_cast<double>(g.to.num) / static_cast<double>(g.to.den) -
         static_cast<double>(g.from.num) / static_cast<double>(g.from.den);
}

}  // namespace inferload::load
