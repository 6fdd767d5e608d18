// Arrival-rate due times against k6-semantics.md section 2.2: the worked examples, the closed
// form, and the split across workers adding up to the single schedule exactly.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <vector>

#include "inferload/load/arrival_schedule.hpp"

using namespace inferload;
using load::ArrivalSchedule;
using load::Stage;
using runtime::kMillisecond;
using runtime::kNever;
using runtime::kSecond;
using runtime::Nanos;

namespace {

struct Due {
  Nanos at;
  std::uint64_t index;
};

std::vector<Due> all(ArrivalSchedule s, std::size_t cap = 100'000'000) {
  std::vector<Due> out;
  Nanos t = 0;
  while (out.size() < cap && s.next(t)) out.push_back({t, s.global_index()});
  return out;
}

std::vector<Nanos> times(const std::vector<Due>& d) {
  std::vector<Nanos> out;
  for (const Due& x : d) out.push_back(x.at);
  return out;
}

// k6's own formula (RampingArrivalRateConfig.cal) in long double, for iteration k.
long double k6_due(std::uint64_t k, std::int64_t start_rate, Nanos tu,
                   const std::vector<Stage>& stages) {
  long double from = static_cast<long double>(start_rate) / tu, done = 0, end = 0, start = 0;
  const long double kk = static_cast<long double>(k);
  for (const Stage& st : stages) {
    const long double to = static_cast<long double>(st.target) / tu;
    const long double dur = static_cast<long double>(st.duration);
    end += dur * ((to - from) / 2 + from);
    if (kk <= end && dur > 0 && (from != 0 || to != 0)) {
      if (from == to) return start + (kk - done) / to;
      return start + (from * dur - std::sqrt(dur * (from * from * dur + 2 * (kk - done) * (to - from)))) /
                         (from - to);
    }
    done = end;
    from = to;
    start += dur;
  }
  return -1;
}

using Factory = std::function<ArrivalSchedule(int worker, int workers)>;

// Every worker's share is increasing, owns exactly its residue class, and all shares together
// are the one-worker schedule, due time for due time.
void expect_split_exact(const Factory& make, Nanos end) {
  const std::vector<Due> single = all(make(0, 1));
  for (std::size_t i = 0; i < single.size(); ++i) {
    ASSERT_EQ(single[i].index, i);
    ASSERT_GE(single[i].at, 0);
    ASSERT_LT(single[i].at, end);
    if (i > 0) {
      ASSERT_LE(single[i - 1].at, single[i].at) << i;
    }
  }
  for (int workers : {2, 3, 7}) {
    std::vector<Nanos> merged(single.size(), -1);
    std::size_t total = 0;
    for (int w = 0; w < workers; ++w) {
      const std::vector<Due> part = all(make(w, workers));
      total += part.size();
      for (std::size_t j = 0; j < part.size(); ++j) {
        ASSERT_EQ(part[j].index % workers, static_cast<std::uint64_t>(w));
        ASSERT_LT(part[j].index, merged.size());
        if (j > 0) {
          ASSERT_LT(part[j - 1].index, part[j].index);
          ASSERT_LE(part[j - 1].at, part[j].at);
        }
        merged[part[j].index] = part[j].at;
      }
    }
    EXPECT_EQ(total, single.size()) << workers << " workers";
    EXPECT_EQ(merged, times(single)) << workers << " workers";
  }
}

}  // namespace

TEST(ArrivalScheduleConstant, TenPerSecondForTenSeconds) {
  const auto d = all(ArrivalSchedule::constant(10, kSecond, 10 * kSecond, 0, 1));
  ASSERT_EQ(d.size(), 100u);
  for (std::size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(d[i].at, static_cast<Nanos>(i) * 100 * kMillisecond);
    EXPECT_EQ(d[i].index, i);
  }
  EXPECT_EQ(d.back().at, 9'900 * kMillisecond);
}

TEST(ArrivalScheduleConstant, PeriodIsTruncated) {
  const auto d = all(ArrivalSchedule::constant(3, kSecond, 10 * kSecond, 0, 1));
  ASSERT_GE(d.size(), 2u);
  EXPECT_EQ(d[1].at, 333'333'333);
  // 30 periods are 10 ns short of 10 s, so a 31st iteration fits.
  ASSERT_EQ(d.size(), 31u);
  EXPECT_EQ(d.back().at, 30 * 333'333'333LL);
}

TEST(ArrivalScheduleConstant, SplitIsExact) {
  const std::vector<std::array<std::int64_t, 3>> configs = {
      {10, kSecond, 10 * kSecond}, {3, kSecond, 10 * kSecond}, {7, kSecond, 3 * kSecond},
      {1000, kSecond, 2 * kSecond}, {13, 7 * kSecond, 20 * kSecond}, {5, kMillisecond, kSecond}};
  for (const auto& c : configs) {
    SCOPED_TRACE(c[0]);
    expect_split_exact(
        [&](int w, int n) { return ArrivalSchedule::constant(c[0], c[1], c[2], w, n); }, c[2]);
  }
}

TEST(ArrivalScheduleRamping, FromZeroToTen) {
  const std::vector<Stage> st = {{10 * kSecond, 10}};
  const auto d = all(ArrivalSchedule::ramping(0, kSecond, st, 0, 1));
  ASSERT_EQ(d.size(), 49u);  // the 50th sits exactly on 10 s
  for (std::size_t i = 0; i < d.size(); ++i) {
    const long double exact = std::sqrt(2.0L * static_cast<long double>(i + 1)) * kSecond;
    EXPECT_LE(std::fabs(static_cast<long double>(d[i].at) - exact), 1.0L) << i;
  }
  EXPECT_EQ(d[0].at, 1'414'213'562);
  EXPECT_EQ(d[1].at, 2 * kSecond);
  EXPECT_EQ(d[7].at, 4 * kSecond);
}

TEST(ArrivalScheduleRamping, ConstantTenPerSecond) {
  const std::vector<Stage> st = {{10 * kSecond, 10}};
  const auto d = all(ArrivalSchedule::ramping(10, kSecond, st, 0, 1));
  ASSERT_EQ(d.size(), 99u);  // 0.1 ... 9.9; 10.0 is the end
  for (std::size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(d[i].at, static_cast<Nanos>(i + 1) * 100 * kMillisecond);
  }
}

TEST(ArrivalScheduleRamping, TwoStagesCarryTheArea) {
  const std::vector<Stage> st = {{5 * kSecond, 2}, {5 * kSecond, 4}};
  const auto d = all(ArrivalSchedule::ramping(2, kSecond, st, 0, 1));
  ASSERT_EQ(d.size(), 24u);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(d[i].at, static_cast<Nanos>(i + 1) * 500 * kMillisecond);
  EXPECT_EQ(d[9].at, 5 * kSecond);
  EXPECT_NEAR(static_cast<double>(d[10].at), 5.477e9, 1e6);
  EXPECT_NEAR(static_cast<double>(d[11].at), 5.916e9, 1e6);
  for (std::size_t i = 0; i < d.size(); ++i) {
    EXPECT_LE(std::fabs(static_cast<long double>(d[i].at) - k6_due(i + 1, 2, kSecond, st)), 1.0L) << i;
  }
}

TEST(ArrivalScheduleRamping, DownToZero) {
  const std::vector<Stage> st = {{10 * kSecond, 0}};
  const auto d = all(ArrivalSchedule::ramping(10, kSecond, st, 0, 1));
  ASSERT_EQ(d.size(), 49u);
  EXPECT_NEAR(static_cast<double>(d[0].at), 0.1005e9, 1e5);
  EXPECT_NEAR(static_cast<double>(d[1].at), 0.2020e9, 1e5);
  EXPECT_NEAR(static_cast<double>(d[2].at), 0.3046e9, 1e5);
  EXPECT_NEAR(static_cast<double>(d.back().at), 8.586e9, 1e6);
  for (std::size_t i = 0; i < d.size(); ++i) {
    EXPECT_LE(std::fabs(static_cast<long double>(d[i].at) - k6_due(i + 1, 10, kSecond, st)), 1.0L) << i;
  }
}

TEST(ArrivalScheduleRamping, MatchesTheClosedFormOverManyStages) {
  const std::vector<Stage> st = {{2 * kSecond, 50}, {kSecond, 50},      {2 * kSecond, 0},
                                 {kSecond, 0},      {0, 30},            {2 * kSecond, 30},
                                 {3 * kSecond, 5},  {1'234'567'891, 77}};
  const auto d = all(ArrivalSchedule::ramping(3, kSecond, st, 0, 1));
  ASSERT_GT(d.size(), 200u);
  for (std::size_t i = 0; i < d.size(); ++i) {
    ASSERT_LE(std::fabs(static_cast<long double>(d[i].at) - k6_due(i + 1, 3, kSecond, st)), 1.0L) << i;
  }
}

TEST(ArrivalScheduleRamping, SplitIsExact) {
  const std::vector<std::pair<std::int64_t, std::vector<Stage>>> configs = {
      {0, {{10 * kSecond, 10}}},
      {2, {{5 * kSecond, 2}, {5 * kSecond, 4}}},
      {10, {{10 * kSecond, 0}}},
      {0, {{2 * kSecond, 50}, {kSecond, 50}, {2 * kSecond, 0}, {kSecond, 0}, {0, 30},
           {2 * kSecond, 30}, {3 * kSecond, 5}}},
      {17, {{1500 * kMillisecond, 3}, {700 * kMillisecond, 101}, {0, 0}, {kSecond, 0}}},
      {1000, {{3 * kSecond, 997}, {kSecond, 2003}}},
  };
  for (const auto& [start, st] : configs) {
    SCOPED_TRACE(start);
    Nanos end = 0;
    for (const Stage& s : st) end += s.duration;
    expect_split_exact([&](int w, int n) { return ArrivalSchedule::ramping(start, kSecond, st, w, n); },
                       end);
  }
}

TEST(ArrivalSchedule, CountBeforeAgreesWithNext) {
  const std::vector<Stage> st = {{2 * kSecond, 50}, {kSecond, 0}, {2 * kSecond, 20}};
  for (int workers : {1, 3}) {
    for (int w = 0; w < workers; ++w) {
      for (const ArrivalSchedule& s :
           {ArrivalSchedule::ramping(4, kSecond, st, w, workers),
            ArrivalSchedule::constant(7, kSecond, 5 * kSecond, w, workers)}) {
        const auto d = times(all(s));
        for (Nanos off : {Nanos{-1}, Nanos{0}, Nanos{1}, 999 * kMillisecond, kSecond,
                          2 * kSecond + 1, 4 * kSecond, 5 * kSecond, 9 * kSecond}) {
          std::uint64_t n = 0;
          for (Nanos t : d) n += t < off;
          EXPECT_EQ(s.count_before(off), n) << off;
        }
        // On the due times themselves: strictly before.
        for (std::size_t i = 0; i < d.size(); i += 5) EXPECT_LE(s.count_before(d[i]), i);
      }
    }
  }
}

TEST(ArrivalSchedule, MillionPerSecondSplitOver1024IsCheap) {
  const auto t0 = std::chrono::steady_clock::now();
  // Global counts: 10,000,000 (constant), 9,999,999 and 4,999,999 (ramping, the last on the end).
  const std::uint64_t worker = 5, workers = 1024;
  const auto share = [&](std::uint64_t n) { return (n - 1 - worker) / workers + 1; };
  EXPECT_EQ(all(ArrivalSchedule::constant(1'000'000, kSecond, 10 * kSecond, worker, workers)).size(),
            share(10'000'000));
  const std::vector<Stage> flat = {{10 * kSecond, 1'000'000}};
  auto d = all(ArrivalSchedule::ramping(1'000'000, kSecond, flat, worker, workers));
  EXPECT_EQ(d.size(), share(9'999'999));
  EXPECT_EQ(d.front().at, 6 * runtime::kMicrosecond);
  EXPECT_EQ(d.front().index, worker);
  const std::vector<Stage> ramp = {{10 * kSecond, 1'000'000}};
  d = all(ArrivalSchedule::ramping(0, kSecond, ramp, worker, workers));
  EXPECT_EQ(d.size(), share(4'999'999));
  EXPECT_EQ(ArrivalSchedule::ramping(0, kSecond, ramp, worker, workers).count_before(10 * kSecond),
            share(4'999'999));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 2.0);
}

TEST(ArrivalSchedule, EmptyAndInvalid) {
  Nanos t = 0;
  EXPECT_FALSE(ArrivalSchedule::constant(0, kSecond, kSecond, 0, 1).next(t));
  EXPECT_FALSE(ArrivalSchedule::constant(5, 0, kSecond, 0, 1).next(t));
  EXPECT_FALSE(ArrivalSchedule::constant(5, kSecond, 0, 0, 1).next(t));
  EXPECT_FALSE(ArrivalSchedule::ramping(5, kSecond, {}, 0, 1).next(t));
  EXPECT_FALSE(ArrivalSchedule::ramping(0, kSecond, {{kSecond, 0}, {0, 9}}, 0, 1).next(t));
  EXPECT_FALSE(ArrivalSchedule::ramping(-5, kSecond, {{kSecond, -3}}, 0, 1).next(t));
  EXPECT_FALSE(ArrivalSchedule::ramping(5, -kSecond, {{kSecond, 5}}, 0, 1).next(t));
  // One iteration in all, owned by worker 0 only.
  EXPECT_TRUE(ArrivalSchedule::constant(1, kSecond, kSecond, 0, 4).next(t));
  EXPECT_FALSE(ArrivalSchedule::constant(1, kSecond, kSecond, 3, 4).next(t));
  EXPECT_THROW(ArrivalSchedule::constant(1, kSecond, kSecond, 4, 4), std::invalid_argument);
  EXPECT_THROW(ArrivalSchedule::constant(1, kSecond, kSecond, 0, 0), std::invalid_argument);
  EXPECT_THROW(ArrivalSchedule::ramping(1, kSecond, {}, -1, 2), std::invalid_argument);
}

TEST(ArrivalSchedule, ExtremeRatesAndDurations) {
  const Nanos hours_1e6 = 1'000'000LL * 3600 * kSecond;
  // Faster than one per nanosecond: capped at one per nanosecond instead of endless.
  auto d = all(ArrivalSchedule::constant(1'000'000'000, 1, 1000, 0, 1));
  ASSERT_EQ(d.size(), 1000u);
  EXPECT_EQ(d.back().at, 999);
  d = all(ArrivalSchedule::constant(INT64_MAX, 1, 10, 0, 1));
  EXPECT_EQ(d.size(), 10u);
  // A period beyond int64: just the iteration at 0.
  d = all(ArrivalSchedule::constant(1, kNever, hours_1e6, 0, 1));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].at, 0);
  // 1e9 per ns for a million hours: 3.6e27 iterations, more than 2^64; only the start is walked.
  {
    ArrivalSchedule s = ArrivalSchedule::ramping(1'000'000'000, 1, {{hours_1e6, 1'000'000'000}}, 1023, 1024);
    Nanos t = -1, prev = 0;
    for (int i = 0; i < 10'000; ++i) {
      ASSERT_TRUE(s.next(t));
      ASSERT_GE(t, prev);
      prev = t;
      EXPECT_EQ(t, static_cast<Nanos>((s.global_index() + 1) / 1'000'000'000));
    }
    EXPECT_EQ(ArrivalSchedule::ramping(1'000'000'000, 1, {{hours_1e6, 1'000'000'000}}, 0, 1).count_before(1),
              999'999'999u);
  }
  // A ramp from 0 to 1e9 per ns: the due times are sqrt(2 k L / b), nanosecond-exact.
  {
    ArrivalSchedule s = ArrivalSchedule::ramping(0, 1, {{hours_1e6, 1'000'000'000}}, 0, 7);
    Nanos t = 0, prev = 0;
    for (int i = 0; i < 10'000; ++i) {
      ASSERT_TRUE(s.next(t));
      ASSERT_GE(t, prev);
      prev = t;
      const long double k = static_cast<long double>(s.global_index() + 1);
      const long double exact = std::sqrt(2 * k * hours_1e6 / 1e9L);
      ASSERT_EQ(t, static_cast<Nanos>(std::floor(exact))) << i;
    }
  }
  // Stages adding up to more than int64 nanoseconds end at kNever.
  {
    ArrivalSchedule s = ArrivalSchedule::ramping(1, kSecond, {{kNever, 1}, {kNever, 5}}, 0, 1);
    EXPECT_EQ(s.end(), kNever);
    Nanos t = 0;
    ASSERT_TRUE(s.next(t));
    EXPECT_EQ(t, kSecond);
    ASSERT_TRUE(s.next(t));
    EXPECT_EQ(t, 2 * kSecond);
  }
  // Huge rates per huge time units stay ordered.
  {
    ArrivalSchedule s =
        ArrivalSchedule::ramping(INT64_MAX, kNever, {{hours_1e6, 0}, {hours_1e6, INT64_MAX}}, 0, 3);
    Nanos t = 0, prev = 0;
    for (int i = 0; i < 1000 && s.next(t); ++i) {
      ASSERT_GE(t, prev);
      prev = t;
    }
    EXPECT_GT(prev, 0);
  }
}
