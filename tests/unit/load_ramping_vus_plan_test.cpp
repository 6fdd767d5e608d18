// ramping-vus steps against k6-semantics.md section 2.2 and against a VU-by-VU transcription of
// k6's getRawExecutionSteps.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "inferload/load/ramping_vus_plan.hpp"

using namespace inferload;
using load::RampingVusSteps;
using load::Stage;
using load::VuStep;
using runtime::kNever;
using runtime::kSecond;
using runtime::Nanos;

namespace inferload::load {
bool operator==(const VuStep& a, const VuStep& b) { return a.at == b.at && a.active == b.active; }
void PrintTo(const VuStep& s, std::ostream* os) { *os << "{" << s.at << ", " << s.active << "}"; }
}  // namespace inferload::load

namespace {

std::vector<VuStep> all(std::int64_t start, const std::vector<Stage>& stages) {
  RampingVusSteps g(start, stages);
  std::vector<VuStep> out;
  VuStep s;
  while (g.next(s)) out.push_back(s);
  return out;
}

// One change per VU as k6 emits them, then same-instant changes merged and no-ops dropped.
std::vector<VuStep> reference(std::int64_t start, const std::vector<Stage>& stages) {
  std::vector<VuStep> raw = {{0, start}};
  std::int64_t from = start;
  Nanos end = 0;
  for (const Stage& st : stages) {
    end += st.duration;
    const std::int64_t to = st.target, diff = to - from;
    if (diff == 0) continue;
    if (st.duration == 0) {
      raw.push_back({end, to});
    } else if (diff > 0) {
      for (std::int64_t u = from + 1; u <= to; ++u) raw.push_back({end - st.duration * (to - u) / diff, u});
    } else {
      for (std::int64_t u = from; u > to; --u) raw.push_back({end - st.duration * (u - 1 - to) / -diff, u - 1});
    }
    from = to;
  }
  std::vector<VuStep> out;
  for (const VuStep& s : raw) {
    if (!out.empty() && out.back().at == s.at) {
      out.back().active = s.active;
      if (out.size() > 1 && out[out.size() - 2].active == s.active) out.pop_back();
    } else if (out.empty() || out.back().active != s.active) {
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace

TEST(RampingVus, UpByOneEachSecond) {
  std::vector<VuStep> want = {{0, 0}};
  for (int i = 1; i <= 10; ++i) want.push_back({i * kSecond, i});
  EXPECT_EQ(all(0, {{10 * kSecond, 10}}), want);
}

TEST(RampingVus, OneVuArrivesAtTheEnd) {
  EXPECT_EQ(all(0, {{30 * kSecond, 1}}), (std::vector<VuStep>{{0, 0}, {30 * kSecond, 1}}));
}

TEST(RampingVus, DownByOneEachSecond) {
  std::vector<VuStep> want = {{0, 10}};
  for (int i = 1; i <= 10; ++i) want.push_back({i * kSecond, 10 - i});
  EXPECT_EQ(all(10, {{10 * kSecond, 0}}), want);
}

TEST(RampingVus, ZeroLengthStageJumps) {
  EXPECT_EQ(all(5, {{2 * kSecond, 5}, {0, 20}}), (std::vector<VuStep>{{0, 5}, {2 * kSecond, 20}}));
  EXPECT_EQ(all(5, {{2 * kSecond, 5}, {0, 2}}), (std::vector<VuStep>{{0, 5}, {2 * kSecond, 2}}));
  // At the very start the jump is merged into the first step.
  EXPECT_EQ(all(5, {{0, 20}, {kSecond, 20}}), (std::vector<VuStep>{{0, 20}}));
}

TEST(RampingVus, SameTargetChangesNothing) {
  EXPECT_EQ(all(5, {{10 * kSecond, 5}}), (std::vector<VuStep>{{0, 5}}));
  // A jump away and back at one instant is no change either.
  EXPECT_EQ(all(5, {{kSecond, 5}, {0, 3}, {0, 5}}), (std::vector<VuStep>{{0, 5}}));
}

TEST(RampingVus, MultiStage) {
  const std::vector<Stage> st = {{2 * kSecond, 2}, {kSecond, 2}, {0, 5}, {2 * kSecond, 3}, {kSecond, 0}};
  const std::vector<VuStep> want = {{0, 0},          {kSecond, 1},       {2 * kSecond, 2},
                                    {3 * kSecond, 5}, {4 * kSecond, 4},   {5 * kSecond, 3},
                                    {5'333'333'334, 2}, {5'666'666'667, 1}, {6 * kSecond, 0}};
  EXPECT_EQ(all(0, st), want);
  EXPECT_EQ(all(0, st), reference(0, st));
}

TEST(RampingVus, SameInstantChangesAreMerged) {
  // 100 VUs over 10 ns: ten arrive in each nanosecond.
  std::vector<VuStep> want = {{0, 0}};
  for (int i = 1; i <= 10; ++i) want.push_back({i, 10 * i});
  EXPECT_EQ(all(0, {{10, 100}}), want);
  // The ramp's last VU and the next stage's jump share 10 s.
  const auto s = all(0, {{10 * kSecond, 10}, {0, 3}});
  EXPECT_EQ(s.back(), (VuStep{10 * kSecond, 3}));
  EXPECT_EQ(s[s.size() - 2], (VuStep{9 * kSecond, 9}));
}

TEST(RampingVus, MatchesK6VuByVu) {
  const std::vector<std::pair<std::int64_t, std::vector<Stage>>> configs = {
      {0, {{7, 100}, {13, 3}, {0, 40}, {1000, 41}, {3, 0}}},
      {3, {{kSecond, 17}, {333, 17}, {999'999'999, 2}, {0, 0}, {5, 9}}},
      {50, {{49, 0}, {51, 50}, {1, 1}, {0, 1}, {100, 37}}},
      {1, {{0, 0}, {10, 10}, {0, 10}, {10, 0}}},
  };
  for (const auto& [start, st] : configs) {
    SCOPED_TRACE(start);
    const auto got = all(start, st);
    EXPECT_EQ(got, reference(start, st));
    for (std::size_t i = 1; i < got.size(); ++i) {
      EXPECT_LT(got[i - 1].at, got[i].at);
      EXPECT_NE(got[i - 1].active, got[i].active);
    }
  }
}

TEST(RampingVus, HundredMillionIsLazy) {
  const Nanos hour = 3600 * kSecond;
  RampingVusSteps g(0, {{hour, 100'000'000}});
  VuStep s;
  ASSERT_TRUE(g.next(s));
  EXPECT_EQ(s, (VuStep{0, 0}));
  for (int u = 1; u <= 10; ++u) {
    ASSERT_TRUE(g.next(s));
    EXPECT_EQ(s, (VuStep{36'000 * u, u}));  // L * u / T is 36 us per VU
  }
  // A hundred VUs per nanosecond: a million steps, not a hundred million.
  const auto t0 = std::chrono::steady_clock::now();
  RampingVusSteps fast(0, {{1'000'000, 100'000'000}});
  std::uint64_t n = 0;
  VuStep last;
  while (fast.next(s)) {
    ++n;
    last = s;
  }
  EXPECT_EQ(n, 1'000'001u);
  EXPECT_EQ(last, (VuStep{1'000'000, 100'000'000}));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);
}

TEST(RampingVus, LongStagesDoNotOverflow) {
  RampingVusSteps g(0, {{kNever, 100'000'000}, {kNever, 0}});
  VuStep s, prev{0, 0};
  ASSERT_TRUE(g.next(s));
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(g.next(s));
    ASSERT_GT(s.at, prev.at);
    EXPECT_EQ(s.active, i + 1);
    prev = s;
  }
  // kNever * (1e8 - 1) / 1e8, exactly.
  RampingVusSteps h(0, {{kNever, 100'000'000}});
  ASSERT_TRUE(h.next(s));
  ASSERT_TRUE(h.next(s));
  EXPECT_EQ(s.at, kNever - static_cast<Nanos>(static_cast<__int128>(kNever) * 99'999'999 / 100'000'000));
  // The second stage has no time left: it jumps at kNever.
  std::vector<VuStep> tail = all(100, {{kNever, 100}, {kNever, 0}});
  EXPECT_EQ(tail, (std::vector<VuStep>{{0, 100}, {kNever, 0}}));
}

TEST(RampingVus, PeakVus) {
  EXPECT_EQ(load::peak_vus(3, {{kSecond, 10}, {kSecond, 0}}), 10);
  EXPECT_EQ(load::peak_vus(30, {{kSecond, 10}}), 30);
  EXPECT_EQ(load::peak_vus(0, {}), 0);
}

TEST(RampingVus, WorkerSharesAddUp) {
  for (int workers : {1, 2, 3, 7, 1024}) {
    for (std::int64_t n : {0LL, 1LL, 2LL, 6LL, 7LL, 8LL, 1023LL, 1025LL, 99'999'999LL}) {
      std::int64_t sum = 0, lo = INT64_MAX, hi = 0;
      for (int w = 0; w < workers; ++w) {
        const std::int64_t s = load::worker_share(n, w, workers);
        sum += s;
        lo = std::min(lo, s);
        hi = std::max(hi, s);
      }
      EXPECT_EQ(sum, n) << n << " over " << workers;
      EXPECT_LE(hi - lo, 1);
    }
  }
  // VU numbers 1, 4, 7 belong to worker 0 of 3.
  EXPECT_EQ(load::worker_share(7, 0, 3), 3);
  EXPECT_EQ(load::worker_share(7, 1, 3), 2);
  EXPECT_EQ(load::worker_share(7, 2, 3), 2);
}
