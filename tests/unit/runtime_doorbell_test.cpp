// A doorbell wakes a sleeping reactor from other threads, on both backends, and runs its
// callback on the reactor's thread once per turn however many times it was rung.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "inferload/runtime/backend.hpp"
#include "inferload/runtime/reactor.hpp"
#include "uring_probe.hpp"

namespace inferload::runtime {
namespace {

struct Counter {
  std::atomic<std::uint64_t> pushed{0};  // what the ringing threads handed over
  std::uint64_t seen = 0;                // what the reactor's thread took
  std::uint64_t callbacks = 0;
  std::uint64_t total = 0;
  std::thread::id thread;
  bool wrong_thread = false;
  Reactor* reactor = nullptr;
  static void on_bell(void* self) noexcept {
    auto& c = *static_cast<Counter*>(self);
    ++c.callbacks;
    if (std::this_thread::get_id() != c.thread) c.wrong_thread = true;
    c.seen = c.pushed.load(std::memory_order_acquire);
    if (c.seen == c.total) c.reactor->timers().fire_all_interrupted();  // ends the long sleep
  }
};

// A sleep far longer than the test may take: only the bell can end it in time.
Task<void> wait_for(Reactor& r, Counter& c) {
  if (c.seen < c.total) co_await sleep_until(r, now_ns() + 10 * kSecond);
}

class Doorbells : public ::testing::TestWithParam<IoBackend> {};

TEST_P(Doorbells, WakeASleepingReactorFromOtherThreads) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  auto reactor = make_reactor(choose_backend(GetParam()));
  constexpr int kThreads = 3;
  constexpr std::uint64_t kRings = 20000;
  Counter c;
  c.thread = std::this_thread::get_id();
  c.total = kThreads * kRings;
  c.reactor = reactor.get();
  Doorbell bell(&Counter::on_bell, &c);
  std::vector<std::thread> ringers;
  for (int t = 0; t < kThreads; ++t) {
    ringers.emplace_back([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the reactor is asleep by now
      for (std::uint64_t i = 0; i < kRings; ++i) {
        c.pushed.fetch_add(1, std::memory_order_release);
        bell.ring(*reactor);
      }
    });
  }
  const Nanos start = now_ns();
  reactor->spawn(wait_for(*reactor, c));
  reactor->run();
  for (auto& t : ringers) t.join();
  EXPECT_EQ(c.seen, kThreads * kRings);
  EXPECT_LT(now_ns() - start, 5 * kSecond);
  EXPECT_FALSE(c.wrong_thread);
  // Rings that came while the bell was pending were folded into one callback.
  EXPECT_GE(c.callbacks, 1u);
  EXPECT_LT(c.callbacks, kThreads * kRings);
  reactor->run_doorbells();
}

TEST_P(Doorbells, ARingBeforeTheLoopRunsIsNotLost) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  auto reactor = make_reactor(choose_backend(GetParam()));
  Counter c;
  c.thread = std::this_thread::get_id();
  c.total = 7;
  c.reactor = reactor.get();
  Doorbell bell(&Counter::on_bell, &c);
  std::thread([&] {
    c.pushed.store(7, std::memory_order_release);
    bell.ring(*reactor);
  }).join();
  const Nanos start = now_ns();
  reactor->spawn(wait_for(*reactor, c));
  reactor->run();
  EXPECT_EQ(c.seen, 7u);
  EXPECT_EQ(c.callbacks, 1u);
  EXPECT_LT(now_ns() - start, kSecond / 2);
}

INSTANTIATE_TEST_SUITE_P(Io, Doorbells, ::testing::Values(IoBackend::uring, IoBackend::epoll),
                         [](const auto& info) { return info.param == IoBackend::uring ? "uring" : "epoll"; });

}  // namespace
}  // namespace inferload::runtime
