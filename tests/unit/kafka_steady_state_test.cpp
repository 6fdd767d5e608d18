// A worker's Kafka requests allocate nothing of ours once warm: issuing (key, framing, slot,
// timer), waking (doorbell, completion queue) and completing (matching, resuming) a request
// touch no heap on the worker's thread. Allocations are counted through the global operator new;
// librdkafka's own (its record, its copies, the consumed message) come from malloc and are not
// ours, so they are not counted.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "inferload/kafka/client.hpp"
#include "inferload/runtime/backend.hpp"
#include "kafka_mock.hpp"
#include "uring_probe.hpp"
#include "counting_new.hpp"


namespace inferload::kafka {
namespace {

using runtime::kSecond;
using runtime::now_ns;

struct Counts {
  std::size_t replies = 0;
  std::size_t others = 0;
  std::size_t first = 0;  // allocations of the first request: proof that counting works
};

runtime::Task<void> vu(Channel& ch, const Topic& topic, std::string_view value, std::size_t warm, std::size_t counted,
                       Counts& counts) {
  counting = true;
  for (std::size_t i = 0; i < warm + counted; ++i) {
    if (i == 1) counts.first = std::exchange(allocations, 0);
    if (i == warm) allocations = 0;
    const Outcome o = co_await ch.request(Request{&topic, 0, "iris", value}, now_ns() + 5 * kSecond);
    if (o.fate == Fate::reply && o.value == value) ++counts.replies;
    else ++counts.others;
  }
  counting = false;
}

class KafkaSteadyState : public ::testing::TestWithParam<runtime::IoBackend> {};

TEST_P(KafkaSteadyState, AWarmWorkerAllocatesNothingPerRequest) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  testing::MockCluster mock;
  ClientConfig config;
  config.bootstrap_servers = mock.bootstraps();
  config.settings = {{"fetch.wait.max.ms", testing::kMockFetchWait}, {"log_level", "3"}};
  config.schema_id = 7;  // framing on: the framed copy of the value is made in a reused buffer
  Client client(config);
  const std::string inputs = client.names().model_inputs("iris");
  const std::string outputs = client.names().model_outputs("iris");
  client.prepare({inputs}, {outputs});
  testing::Gateway gw(mock.bootstraps(), {{inputs, outputs, "iris"}}, client.names().errors(),
                      testing::Gateway::Mode::echo);
  auto reactor = runtime::make_reactor(runtime::choose_backend(GetParam()));
  Channel& ch = client.channel(0);
  ch.attach(*reactor);
  const std::string value(300, 'v');
  Counts counts;
  // One VU: the count starts when its warm-up is over and nothing else runs on the thread.
  reactor->spawn(vu(ch, client.topic(inputs), value, 30, 100, counts));
  reactor->run();
  ch.detach();
  EXPECT_EQ(counts.replies, 130u);
  EXPECT_EQ(counts.others, 0u);
  EXPECT_GT(counts.first, 0u);  // the framing buffer, the timer heap: grown once
  EXPECT_EQ(allocations, 0u) << "heap allocations during 100 warm requests";
}

INSTANTIATE_TEST_SUITE_P(Io, KafkaSteadyState, ::testing::Values(runtime::IoBackend::uring, runtime::IoBackend::epoll),
                         [](const auto& info) { return info.param == runtime::IoBackend::uring ? "uring" : "epoll"; });

}  // namespace
}  // namespace inferload::kafka
