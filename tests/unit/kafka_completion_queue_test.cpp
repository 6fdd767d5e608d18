// The completion queue between librdkafka's side and a worker: several producer threads, one
// consumer; every record arrives exactly once and each producer's records in the order pushed.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "inferload/kafka/completion_queue.hpp"

namespace inferload::kafka {
namespace {

struct Record {
  std::uint32_t producer;
  std::uint32_t seq;
  std::uint64_t check;  // a function of the other two: a torn record would not match
};

TEST(KafkaCompletionQueue, DeliversEveryRecordOnceInEachProducersOrder) {
  constexpr std::uint32_t kProducers = 4;
  constexpr std::uint32_t kPerProducer = 200000;
  CompletionQueue<Record> q(64);  // small, so that producers find it full again and again
  std::vector<std::thread> producers;
  for (std::uint32_t p = 0; p < kProducers; ++p) {
    producers.emplace_back([&q, p] {
      for (std::uint32_t i = 0; i < kPerProducer; ++i) {
        const Record r{p, i, (std::uint64_t{p} << 32 | i) * 0x9E3779B97F4A7C15ull};
        while (!q.try_push(r)) std::this_thread::yield();
      }
    });
  }
  std::vector<std::uint32_t> next(kProducers, 0);
  std::uint64_t received = 0;
  bool ok = true;
  while (received < std::uint64_t{kProducers} * kPerProducer) {
    Record r;
    if (!q.try_pop(r)) {
      std::this_thread::yield();
      continue;
    }
    ++received;
    if (r.producer >= kProducers || r.seq != next[r.producer] ||
        r.check != (std::uint64_t{r.producer} << 32 | r.seq) * 0x9E3779B97F4A7C15ull) {
      ok = false;
      break;
    }
    ++next[r.producer];
  }
  for (auto& t : producers) t.join();
  ASSERT_TRUE(ok) << "a record out of order, duplicated or torn after " << received;
  for (std::uint32_t p = 0; p < kProducers; ++p) EXPECT_EQ(next[p], kPerProducer);
  Record r;
  EXPECT_FALSE(q.try_pop(r));
}

TEST(KafkaCompletionQueue, RefusesWhenFullAndTakesAgainOnceEmptied) {
  CompletionQueue<Record> q(3);
  ASSERT_EQ(q.capacity(), 4u);
  for (std::uint32_t i = 0; i < 4; ++i) EXPECT_TRUE(q.try_push({0, i, 0}));
  EXPECT_FALSE(q.try_push({0, 4, 0}));
  Record r;
  ASSERT_TRUE(q.try_pop(r));
  EXPECT_EQ(r.seq, 0u);
  EXPECT_TRUE(q.try_push({0, 4, 0}));
  for (std::uint32_t i = 1; i <= 4; ++i) {
    ASSERT_TRUE(q.try_pop(r));
    EXPECT_EQ(r.seq, i);
  }
  EXPECT_FALSE(q.try_pop(r));
}

}  // namespace
}  // namespace inferload::kafka
