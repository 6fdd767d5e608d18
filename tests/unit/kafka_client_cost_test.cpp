// What a request costs the driver with one Kafka client per process (shared by the workers
// through their channels) and with one client per worker. The mock cluster and the echoing
// gateway run in a child process, so this process's CPU time is the client side's alone: the
// workers' reactors, the client's threads and librdkafka's. Both ways must answer every
// request; the CPU per request of each is printed (docs/kafka.md has the figures and the
// choice). KAFKA_COST_REQUESTS sets the number of requests per way (default 2000).
//
// It also counts the client side's heap allocations per request, through malloc itself (this
// executable's malloc is the one every library of the process calls): inferload's own code
// allocates nothing per request once warm (kafka_steady_state_test), so what a request costs in
// mallocs is librdkafka's, taken as the difference between a run of N and one of 2N requests so
// that starting threads and reactors cancel out.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "inferload/kafka/client.hpp"
#include "inferload/runtime/backend.hpp"
#include "kafka_mock.hpp"

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
}

namespace {
std::atomic<std::uint64_t> mallocs{0};
}

// Counted, then glibc's own. free() stays glibc's: only the number of allocations is wanted.
extern "C" void* malloc(std::size_t n) {
  mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
extern "C" void* calloc(std::size_t n, std::size_t size) {
  mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(n, size);
}
extern "C" void* realloc(void* p, std::size_t n) {
  mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}

namespace inferload::kafka {
namespace {

using runtime::kSecond;
using runtime::Nanos;
using runtime::now_ns;

constexpr std::size_t kWorkers = 2;
constexpr std::size_t kVusPerWorker = 16;

Nanos cpu_time() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * kSecond + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1000;
}

// The broker and the gateway, in a child process until `stop` is closed.
pid_t start_peer(const std::string& inputs, const std::string& outputs, const std::string& errors, int (&ready)[2],
                 int (&stop)[2]) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::close(ready[0]);
  ::close(stop[1]);  // or the end of `stop` would never come
  {
    testing::MockCluster mock;
    for (const std::string& t : {inputs, outputs, errors}) mock.create_topic(t, 1);
    testing::Gateway gw(mock.bootstraps(), {{inputs, outputs, "iris"}}, errors, testing::Gateway::Mode::echo);
    const std::string line = mock.bootstraps() + "\n";
    if (::write(ready[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(1);
    char c;
    while (::read(stop[0], &c, 1) > 0) {
    }
  }
  ::_exit(0);
}

struct Tally {
  std::size_t replies = 0;
  Nanos produce = 0;  // sums of kafka_produce_duration and kafka_req_duration
  Nanos request = 0;
};

runtime::Task<void> vu(Channel& ch, const Topic& topic, std::size_t count, Tally& t) {
  const std::string value(200, 'v');
  for (std::size_t i = 0; i < count; ++i) {
    const Outcome o = co_await ch.request(Request{&topic, 0, "iris", value}, now_ns() + 10 * kSecond);
    if (o.fate != Fate::reply) continue;
    ++t.replies;
    t.produce += o.produce_duration();
    t.request += o.request_duration();
  }
}

struct Cost {
  std::size_t replies = 0;
  Nanos produce = 0;
  Nanos request = 0;
  Nanos cpu = 0;
  Nanos wall = 0;
  std::uint64_t mallocs = 0;  // every thread's, while the requests ran
};

Cost measure(const std::string& bootstraps, bool per_worker, std::size_t requests) {
  ClientConfig config;
  config.bootstrap_servers = bootstraps;
  config.settings = {{"fetch.wait.max.ms", testing::kMockFetchWait}, {"log_level", "3"}};
  config.channels = per_worker ? 1 : kWorkers;
  std::vector<std::unique_ptr<Client>> clients;
  for (std::size_t i = 0; i < (per_worker ? kWorkers : 1); ++i) {
    clients.push_back(std::make_unique<Client>(config));
    clients.back()->prepare({clients.back()->names().model_inputs("iris")},
                            {clients.back()->names().model_outputs("iris")});
  }
  std::vector<Tally> tallies(kWorkers);
  const std::size_t per_vu = requests / (kWorkers * kVusPerWorker);
  const Nanos cpu0 = cpu_time();
  const Nanos wall0 = now_ns();
  const std::uint64_t mallocs0 = mallocs.load();
  std::vector<std::thread> workers;
  for (std::size_t w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      Client& client = per_worker ? *clients[w] : *clients[0];
      Channel& ch = client.channel(per_worker ? 0 : w);
      auto reactor = runtime::make_reactor(runtime::choose_backend(std::nullopt));
      ch.attach(*reactor);
      const Topic& topic = client.topic(client.names().model_inputs("iris"));
      for (std::size_t v = 0; v < kVusPerWorker; ++v) reactor->spawn(vu(ch, topic, per_vu, tallies[w]));
      reactor->run();
      ch.detach();
    });
  }
  for (auto& t : workers) t.join();
  Cost c;
  c.mallocs = mallocs.load() - mallocs0;
  c.cpu = cpu_time() - cpu0;
  c.wall = now_ns() - wall0;
  for (const Tally& t : tallies) {
    c.replies += t.replies;
    c.produce += t.produce;
    c.request += t.request;
  }
  return c;
}

TEST(KafkaClientCost, OneClientPerProcessAndOnePerWorkerBothAnswerEveryRequest) {
  const char* env = std::getenv("KAFKA_COST_REQUESTS");
  const std::size_t requests = env ? std::strtoul(env, nullptr, 10) : 2000;
  const TopicNames names(kDefaultTopicPrefix, "");
  int ready[2], stop[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(stop), 0);
  const pid_t peer = start_peer(names.model_inputs("iris"), names.model_outputs("iris"), names.errors(), ready, stop);
  ::close(ready[1]);
  ::close(stop[0]);
  std::string bootstraps;
  char c;
  while (::read(ready[0], &c, 1) == 1 && c != '\n') bootstraps.push_back(c);
  ASSERT_FALSE(bootstraps.empty());
  const std::size_t expected = requests / (kWorkers * kVusPerWorker) * kWorkers * kVusPerWorker;
  // A first round warms the broker and the gateway up (their first fetches wait), unmeasured.
  measure(bootstraps, false, kWorkers * kVusPerWorker * 4);
  const Cost shared = measure(bootstraps, false, requests);
  const Cost own = measure(bootstraps, true, requests);
  const std::size_t twice = 2 * expected;
  const Cost shared_twice = measure(bootstraps, false, twice);
  ::close(stop[1]);
  ::close(ready[0]);
  int status = 0;
  ::waitpid(peer, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(shared.replies, expected);
  EXPECT_EQ(own.replies, expected);
  EXPECT_EQ(shared_twice.replies, twice);
  // The counter counts (a request cannot cost librdkafka nothing: it copies every record).
  EXPECT_GT(shared_twice.mallocs, shared.mallocs);
  const auto per_request = [&](const Cost& k) { return static_cast<double>(k.cpu) / 1000.0 / static_cast<double>(expected); };
  std::printf("kafka client CPU per request, %zu workers x %zu VUs, %zu requests:\n", kWorkers, kVusPerWorker, expected);
  const auto print = [&](const char* way, const Cost& k) {
    const double n = static_cast<double>(k.replies ? k.replies : 1);
    std::printf("  %s: %.1f us CPU/request, %.0f requests/s, mean produce %.2f ms, mean request %.2f ms\n", way,
                per_request(k), static_cast<double>(expected) * kSecond / static_cast<double>(k.wall),
                static_cast<double>(k.produce) / 1e6 / n, static_cast<double>(k.request) / 1e6 / n);
  };
  print("one client per process", shared);
  print("one client per worker ", own);
  std::printf("  librdkafka's heap allocations per request (one client per process, marginal between %zu and %zu "
              "requests): %.1f\n",
              expected, twice,
              static_cast<double>(shared_twice.mallocs - shared.mallocs) / static_cast<double>(twice - expected));
}

}  // namespace
}  // namespace inferload::kafka
