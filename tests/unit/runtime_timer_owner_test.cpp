// TimerQueue::fire_interrupted_if: a hard stop of chosen VUs fires their timers, and only theirs,
// wherever the queue keeps them (lanes, heap, the no-deadline list).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "inferload/runtime/backend.hpp"
#include "inferload/runtime/reactor.hpp"
#include "inferload/runtime/timer.hpp"

using namespace inferload;
using runtime::Nanos;

namespace {

struct Entry {
  std::vector<int>* log;
  int id;
  runtime::Timer timer;
  Entry(std::vector<int>* l, int i) : log(l), id(i), timer(&Entry::fire, this) {}
  static void fire(void* self, runtime::FireReason r) noexcept {
    auto* e = static_cast<Entry*>(self);
    e->log->push_back(r == runtime::FireReason::interrupted ? e->id : -e->id);
  }
};

bool in_set(void* ctx, std::uint32_t owner) noexcept {
  return static_cast<const std::set<std::uint32_t>*>(ctx)->contains(owner);
}

bool any_owner(void*, std::uint32_t) noexcept { return true; }

}  // namespace

TEST(TimerOwner, FitsInTheTimersPadding) {
  static_assert(sizeof(runtime::Timer) <= 64);
  runtime::Timer t(nullptr, nullptr);
  EXPECT_EQ(t.owner(), 0u);
  t.set_owner(7);
  EXPECT_EQ(t.owner(), 7u);
}

// Lanes (rising deadlines of two lengths), the heap (deadlines that fit no lane's tail) and the
// no-deadline list, with owners 0..4; owners 1 and 3 are interrupted.
TEST(TimerOwner, FiresExactlyTheChosenOwnersInDeadlineOrder) {
  runtime::TimerQueue q;
  std::vector<int> log;
  std::vector<std::unique_ptr<Entry>> es;
  std::vector<std::pair<Nanos, int>> want;  // (deadline, id) of those that must fire
  std::vector<std::pair<int, Nanos>> kept;  // (index, deadline) of those that must stay
  const std::set<std::uint32_t> chosen{1, 3};
  auto add = [&](Nanos d) {
    const int id = static_cast<int>(es.size()) + 1;
    es.push_back(std::make_unique<Entry>(&log, id));
    const auto owner = static_cast<std::uint32_t>(id % 5);
    es.back()->timer.set_owner(owner);
    q.arm(es.back()->timer, d);
    if (chosen.contains(owner)) want.push_back({d, id});
    else kept.push_back({id - 1, d});
  };
  for (int i = 0; i < 40; ++i) add(1000 + i * 10);
  for (int i = 0; i < 40; ++i) add(50'000 + i * 10);
  // Decreasing deadlines fit no lane's tail once the lanes are taken: they go to the heap.
  for (int i = 0; i < 8; ++i) add(900'000 + i);
  for (int i = 0; i < 60; ++i) add(800'000 - i * 3);
  for (int i = 0; i < 10; ++i) add(runtime::kNever);
  ASSERT_GT(q.heap_size(), 20u);
  const std::size_t before = q.size();
  std::stable_sort(want.begin(), want.end(), [](auto& a, auto& b) { return a.first < b.first; });

  EXPECT_EQ(q.fire_interrupted_if(&in_set, const_cast<std::set<std::uint32_t>*>(&chosen)), want.size());
  std::vector<int> want_ids;
  for (auto& w : want) want_ids.push_back(w.second);
  EXPECT_EQ(log, want_ids);
  EXPECT_EQ(q.size(), before - want.size());
  for (auto& [i, d] : kept) {
    EXPECT_TRUE(es[static_cast<std::size_t>(i)]->timer.armed()) << i;
    EXPECT_EQ(es[static_cast<std::size_t>(i)]->timer.deadline(), d) << i;
  }
  for (auto& w : want) EXPECT_FALSE(es[static_cast<std::size_t>(w.second - 1)]->timer.armed());

  // What is left still expires in order: the heap and lanes were left consistent.
  log.clear();
  q.fire_expired(runtime::kNever - 1);
  std::vector<std::pair<Nanos, int>> rest;
  for (auto& [i, d] : kept) {
    if (d != runtime::kNever) rest.push_back({d, i + 1});
  }
  std::sort(rest.begin(), rest.end());
  std::vector<int> rest_ids;
  for (auto& r : rest) rest_ids.push_back(-r.second);
  EXPECT_EQ(log, rest_ids);
}

TEST(TimerOwner, OwnerZeroIsNeverFired) {
  runtime::TimerQueue q;
  std::vector<int> log;
  Entry a(&log, 1), b(&log, 2), c(&log, 3);
  b.timer.set_owner(9);
  q.arm(a.timer, 10);
  q.arm(b.timer, 20);
  q.arm(c.timer, runtime::kNever);
  EXPECT_EQ(q.fire_interrupted_if(&any_owner, nullptr), 1u);
  EXPECT_EQ(log, std::vector<int>{2});
  EXPECT_TRUE(a.timer.armed());
  EXPECT_TRUE(c.timer.armed());
  EXPECT_EQ(q.fire_all_interrupted(), 2u);
}

// A callback that arms a timer of a chosen owner, re-arms another, and destroys a third that
// was picked: the new and re-armed ones stay armed, the destroyed one is not fired.
TEST(TimerOwner, CallbacksArmingOrDestroyingTimersDuringTheCall) {
  runtime::TimerQueue q;
  std::vector<int> log;
  struct Ctx {
    runtime::TimerQueue* q;
    std::vector<int>* log;
    runtime::Timer* fresh;
    runtime::Timer* rearm;
    std::unique_ptr<Entry>* doomed;
  };
  Entry fresh(&log, 10), rearm(&log, 11);
  auto doomed = std::make_unique<Entry>(&log, 12);
  Ctx ctx{&q, &log, &fresh.timer, &rearm.timer, &doomed};
  runtime::Timer first(
      [](void* p, runtime::FireReason) noexcept {
        auto* c = static_cast<Ctx*>(p);
        c->log->push_back(1);
        c->q->arm(*c->fresh, 5);
        c->q->arm(*c->rearm, 500);
        c->doomed->reset();
      },
      &ctx);
  first.set_owner(4);
  fresh.timer.set_owner(4);
  rearm.timer.set_owner(4);
  doomed->timer.set_owner(4);
  q.arm(first, 10);
  q.arm(rearm.timer, 20);
  q.arm(doomed->timer, 30);
  const std::set<std::uint32_t> chosen{4};
  EXPECT_EQ(q.fire_interrupted_if(&in_set, const_cast<std::set<std::uint32_t>*>(&chosen)), 1u);
  EXPECT_EQ(log, std::vector<int>{1});
  EXPECT_TRUE(fresh.timer.armed());
  EXPECT_EQ(fresh.timer.deadline(), 5);
  EXPECT_TRUE(rearm.timer.armed());
  EXPECT_EQ(rearm.timer.deadline(), 500);
  EXPECT_EQ(q.size(), 2u);
  log.clear();
  EXPECT_EQ(q.fire_interrupted_if(&in_set, const_cast<std::set<std::uint32_t>*>(&chosen)), 2u);
  EXPECT_EQ(log, (std::vector<int>{10, 11}));
  EXPECT_TRUE(q.empty());
}

// Random deadlines (lanes and heap), owners and interrupts, checked against a reference.
TEST(TimerOwner, RandomAgainstReference) {
  runtime::TimerQueue q;
  std::vector<int> log;
  constexpr int kTimers = 2000;
  std::vector<std::unique_ptr<Entry>> es;
  std::vector<Nanos> armed_at(kTimers, -1);
  // Timers without a deadline fire in the order they were armed.
  std::vector<Nanos> armed_seq(kTimers, 0);
  Nanos seq = 0;
  for (int i = 0; i < kTimers; ++i) {
    es.push_back(std::make_unique<Entry>(&log, i + 1));
    es.back()->timer.set_owner(static_cast<std::uint32_t>(i % 13));
  }
  unsigned seed = 4242;
  auto rnd = [&](unsigned n) { return seed = seed * 1103515245u + 12345u, (seed >> 8) % n; };
  const Nanos lengths[] = {1000, 50, 50'000, 5, 700, 3, 90'000, 12, 400, 8000, 61, 2};
  Nanos now = 0;
  for (int step = 0; step < 6000; ++step) {
    const auto i = static_cast<std::size_t>(rnd(kTimers));
    const unsigned what = rnd(20);
    if (what < 14) {
      const Nanos d = rnd(10) == 0 ? runtime::kNever : (now + lengths[rnd(12)]) * kTimers + static_cast<Nanos>(i);
      q.arm(es[i]->timer, d);
      armed_at[i] = d;
      armed_seq[i] = ++seq;
      now += rnd(3);
    } else if (what < 17) {
      q.cancel(es[i]->timer);
      armed_at[i] = -1;
    } else {
      std::set<std::uint32_t> chosen{static_cast<std::uint32_t>(rnd(13)), static_cast<std::uint32_t>(rnd(13))};
      std::vector<std::tuple<Nanos, Nanos, int>> due;
      for (std::size_t k = 0; k < kTimers; ++k) {
        if (armed_at[k] >= 0 && k % 13 != 0 && chosen.contains(static_cast<std::uint32_t>(k % 13))) {
          due.push_back({armed_at[k], armed_at[k] == runtime::kNever ? armed_seq[k] : 0, static_cast<int>(k) + 1});
          armed_at[k] = -1;
        }
      }
      std::sort(due.begin(), due.end());
      log.clear();
      q.fire_interrupted_if(&in_set, &chosen);
      std::vector<int> want;
      for (auto& d : due) want.push_back(std::get<2>(d));
      ASSERT_EQ(log, want) << "step " << step;
    }
    std::size_t alive = 0;
    for (std::size_t k = 0; k < kTimers; ++k) {
      if (armed_at[k] < 0) continue;
      ++alive;
      ASSERT_EQ(es[k]->timer.deadline(), armed_at[k]);
    }
    ASSERT_EQ(q.size(), alive);
  }
  // Whatever is left expires in exact deadline order.
  std::vector<std::pair<Nanos, int>> rest;
  for (std::size_t k = 0; k < kTimers; ++k) {
    if (armed_at[k] >= 0 && armed_at[k] != runtime::kNever) rest.push_back({armed_at[k], -(static_cast<int>(k) + 1)});
  }
  std::sort(rest.begin(), rest.end());
  log.clear();
  q.fire_expired(runtime::kNever - 1);
  std::vector<int> want;
  for (auto& r : rest) want.push_back(r.second);
  EXPECT_EQ(log, want);
}

// A VU's sleep is cut short by a stop of that VU; another VU's, and an unowned one, run on.
TEST(TimerOwner, SleepUntilCarriesItsOwner) {
  auto reactor = runtime::make_reactor(runtime::choose_backend(runtime::IoBackend::epoll));
  runtime::FireReason reasons[3] = {};
  auto sleeper = [](runtime::Reactor& r, std::uint32_t owner, runtime::FireReason& out) -> runtime::Task<void> {
    const Nanos deadline = runtime::now_ns() + 30 * runtime::kMillisecond;
    out = owner ? co_await runtime::sleep_until(r, deadline, owner) : co_await runtime::sleep_until(r, deadline);
  };
  std::set<std::uint32_t> stop{1};
  reactor->spawn(sleeper(*reactor, 0, reasons[0]));
  reactor->spawn(sleeper(*reactor, 1, reasons[1]));
  reactor->spawn(sleeper(*reactor, 2, reasons[2]));
  reactor->spawn([](runtime::Reactor& r, std::set<std::uint32_t>& stop) -> runtime::Task<void> {
    co_await runtime::sleep_until(r, runtime::now_ns() + runtime::kMillisecond);
    EXPECT_EQ(r.timers().fire_interrupted_if(&in_set, &stop), 1u);
  }(*reactor, stop));
  reactor->run();
  EXPECT_EQ(reasons[0], runtime::FireReason::expired);
  EXPECT_EQ(reasons[1], runtime::FireReason::interrupted);
  EXPECT_EQ(reasons[2], runtime::FireReason::expired);
}
