// The Kafka client against librdkafka's mock cluster and a model gateway of the test's own, on
// both reactor backends: replies matched by key, error-topic replies, timeouts, hard stops,
// produce failures, late replies dropped and counted, several workers on one client, and the
// records exactly as SCv2's gateways expect them (topic, partition, key, headers, framing).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "inferload/kafka/client.hpp"
#include "inferload/runtime/backend.hpp"
#include "kafka_mock.hpp"
#include "uring_probe.hpp"

namespace inferload::kafka {
namespace {

using runtime::kMillisecond;
using runtime::kSecond;
using runtime::Nanos;
using runtime::now_ns;
using testing::Gateway;
using testing::MockCluster;

struct Result {
  int outcomes = 0;  // how many times the request ended (must be exactly once)
  Fate fate = Fate::interrupted;
  std::string value;
  std::string error_source;
  std::string error_name;
  Nanos started = 0, delivered_at = 0, replied_at = 0, ended_at = 0;
  Nanos produce_duration = 0, request_duration = 0;
};

void keep(const Outcome& o, Result& r) {
  ++r.outcomes;
  r.fate = o.fate;
  r.value.assign(o.value);
  r.error_source.assign(o.error_source);
  r.error_name.assign(o.error_name);
  r.started = o.started;
  r.delivered_at = o.delivered_at;
  r.replied_at = o.replied_at;
  r.ended_at = now_ns();
  r.produce_duration = o.produce_duration();
  r.request_duration = o.request_duration();
}

std::string value_of(std::size_t worker, std::size_t i) {
  return "request " + std::to_string(worker) + "/" + std::to_string(i);
}

// One VU: `count` requests one after the other, the i-th with value_of(worker, first + i).
runtime::Task<void> vu(Channel& ch, const Topic& topic, std::string model, std::size_t worker, std::size_t first,
                       std::size_t count, Nanos timeout, std::int32_t partition, std::vector<Result>& results) {
  for (std::size_t i = first; i < first + count; ++i) {
    const std::string value = value_of(worker, i);
    const Outcome o = co_await ch.request(Request{&topic, partition, model, value}, now_ns() + timeout);
    keep(o, results[i]);
  }
}

// Keeps the loop alive until `ch` has counted `late` late replies (or a few seconds passed).
runtime::Task<void> await_late(runtime::Reactor& r, Channel& ch, std::uint64_t late) {
  const Nanos give_up = now_ns() + 5 * kSecond;
  while (ch.late_replies() < late && now_ns() < give_up) co_await runtime::sleep_until(r, now_ns() + 10 * kMillisecond);
}

ClientConfig mock_config(const MockCluster& mock) {
  ClientConfig c;
  c.bootstrap_servers = mock.bootstraps();
  c.settings.push_back({"fetch.wait.max.ms", testing::kMockFetchWait});
  c.settings.push_back({"log_level", "3"});
  return c;
}

struct Scene {
  explicit Scene(ClientConfig config) : client(std::move(config)) {
    client.prepare({client.names().model_inputs("iris")}, {client.names().model_outputs("iris")});
  }
  const Topic& inputs() { return client.topic(client.names().model_inputs("iris")); }
  Gateway::Route route() {
    return {client.names().model_inputs("iris"), client.names().model_outputs("iris"), "iris"};
  }
  Client client;
};

// Runs `vus` VUs of `per_vu` requests each on a reactor of `backend`, on this thread.
std::vector<Result> run_requests(runtime::IoBackend backend, Scene& s, std::size_t vus, std::size_t per_vu,
                                 Nanos timeout, std::uint64_t wait_for_late = 0, std::int32_t partition = 0) {
  auto reactor = runtime::make_reactor(runtime::choose_backend(backend));
  Channel& ch = s.client.channel(0);
  ch.attach(*reactor);
  std::vector<Result> results(vus * per_vu);
  for (std::size_t v = 0; v < vus; ++v) {
    reactor->spawn(vu(ch, s.inputs(), "iris", 0, v * per_vu, per_vu, timeout, partition, results));
  }
  if (wait_for_late) reactor->spawn(await_late(*reactor, ch, wait_for_late));
  reactor->run();
  ch.detach();
  return results;
}

class KafkaClient : public ::testing::TestWithParam<runtime::IoBackend> {};

TEST_P(KafkaClient, EveryRequestIsAnsweredAndMatchedByKey) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  MockCluster mock;
  Scene s(mock_config(mock));
  Gateway gw(mock.bootstraps(), {s.route()}, s.client.names().errors(), Gateway::Mode::echo);
  const std::vector<Result> results = run_requests(GetParam(), s, 10, 30, 5 * kSecond);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    ASSERT_EQ(r.outcomes, 1) << i;
    ASSERT_EQ(r.fate, Fate::reply) << i << ": " << to_string(r.fate) << " " << r.error_name;
    EXPECT_EQ(r.value, value_of(0, i));  // its own reply, not another request's
    // A reply may overtake its own delivery report (they come through different threads): the
    // request then ends when the report comes, so both durations are always known.
    EXPECT_GT(r.delivered_at, r.started);
    EXPECT_GT(r.replied_at, r.started);
    EXPECT_LE(r.delivered_at, r.ended_at);
    EXPECT_EQ(r.produce_duration, r.delivered_at - r.started);
    EXPECT_EQ(r.request_duration, r.replied_at - r.started);
    EXPECT_LE(r.replied_at, r.ended_at);
  }
  EXPECT_EQ(s.client.channel(0).in_flight(), 0u);
  EXPECT_EQ(s.client.channel(0).late_replies(), 0u);
  EXPECT_EQ(gw.answered(), results.size());
}

TEST_P(KafkaClient, RecordsCarryScv2sKeyHeadersAndPartition) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  MockCluster mock;
  Scene s(mock_config(mock));
  Gateway gw(mock.bootstraps(), {s.route()}, s.client.names().errors(), Gateway::Mode::echo);
  const std::vector<Result> results = run_requests(GetParam(), s, 2, 3, 5 * kSecond);
  for (const Result& r : results) ASSERT_EQ(r.fate, Fate::reply);
  const auto seen = gw.seen();
  ASSERT_EQ(seen.size(), 6u);
  std::vector<std::string> values;
  for (const auto& rec : seen) {
    EXPECT_EQ(rec.topic, "seldon.default.model.iris.inputs");
    EXPECT_EQ(rec.partition, 0);
    ASSERT_EQ(rec.key.rfind("0.iris.", 0), 0u) << rec.key;
    const std::string id = rec.key.substr(7);
    ASSERT_EQ(id.size(), kRequestIdChars);
    const auto parsed = parse_key_request_id(rec.key);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->nonce, s.client.nonce());
    ASSERT_EQ(rec.headers.size(), 3u);
    EXPECT_EQ(rec.headers[0], std::make_pair(std::string("x-request-id"), id));
    EXPECT_EQ(rec.headers[1], std::make_pair(std::string("pipeline"), std::string("iris")));
    EXPECT_EQ(rec.headers[2],
              std::make_pair(std::string("seldon-infer-type"), std::string("proto/InferModelRequest")));
    values.push_back(rec.value);
  }
  std::sort(values.begin(), values.end());
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(values[i], value_of(0, i));
}

TEST_P(KafkaClient, FramesValuesForTheSchemaRegistryAndStripsReplies) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  MockCluster mock;
  ClientConfig config = mock_config(mock);
  config.schema_id = 0x00ABCDEF;
  Scene s(config);
  Gateway gw(mock.bootstraps(), {s.route()}, s.client.names().errors(), Gateway::Mode::echo);
  const std::vector<Result> results = run_requests(GetParam(), s, 1, 2, 5 * kSecond);
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_EQ(results[i].fate, Fate::reply);
    EXPECT_EQ(results[i].value, value_of(0, i));  // the echoed frame was taken off
  }
  for (const auto& rec : gw.seen()) {
    const auto u = unframe(rec.value);
    ASSERT_TRUE(u) << rec.value;
    EXPECT_EQ(u->schema_id, 0x00ABCDEFu);
    EXPECT_EQ(u->payload.rfind("request 0/", 0), 0u);
  }
}

TEST_P(KafkaClient, ErrorTopicRepliesAreFailuresWithTheirReason) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  MockCluster mock;
  Scene s(mock_config(mock));
  Gateway gw(mock.bootstraps(), {s.route()}, s.client.names().errors(), Gateway::Mode::error);
  const std::vector<Result> results = run_requests(GetParam(), s, 3, 4, 5 * kSecond);
  for (const Result& r : results) {
    ASSERT_EQ(r.outcomes, 1);
    ASSERT_EQ(r.fate, Fate::error_topic) << to_string(r.fate);
    EXPECT_EQ(r.value, "model iris failed: boom");
    EXPECT_EQ(r.error_source, "iris");
    EXPECT_GT(r.replied_at, r.started);
  }
}

TEST_P(KafkaClient, WithoutAGatewayRequestsTimeOutAtTheirDeadline) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  MockCluster mock;
  Scene s(mock_config(mock));
  const Nanos timeout = 200 * kMillisecond;
  const std::vector<Result> results = run_requests(GetParam(), s, 4, 1, timeout);
  for (const Result& r : results) {
    ASSERT_EQ(r.outcomes, 1);
    EXPECT_EQ(r.fate, Fate::timed_out);
    EXPECT_GT(r.delivered_at, 0);  // the record was produced; nobody answered
    EXPECT_EQ(r.replied_at, 0);
    EXPECT_EQ(r.request_duration, -1);
    EXPECT_GE(r.ended_at - r.started, timeout);
    EXPECT_LT(r.ended_at - r.started, timeout + kSecond);
  }
}

TEST_P(KafkaClient, LateRepliesAreDroppedAndCountedAndEveryRequestEndsOnce) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  MockCluster mock;
  Scene s(mock_config(mock));
  // The gateway answers after 300 ms; every other request gives up after 50 ms.
  Gateway gw(mock.bootstraps(), {s.route()}, s.client.names().errors(), Gateway::Mode::echo,
             std::chrono::milliseconds(300));
  auto reactor = runtime::make_reactor(runtime::choose_backend(GetParam()));
  Channel& ch = s.client.channel(0);
  ch.attach(*reactor);
  constexpr std::size_t kRequests = 16;
  std::vector<Result> results(kRequests);
  for (std::size_t i = 0; i < kRequests; ++i) {
    reactor->spawn(vu(ch, s.inputs(), "iris", 0, i, 1, i % 2 ? 50 * kMillisecond : 5 * kSecond, 0, results));
  }
  reactor->spawn(await_late(*reactor, ch, kRequests / 2));
  reactor->run();
  ch.detach();
  std::size_t replies = 0, timeouts = 0;
  for (std::size_t i = 0; i < kRequests; ++i) {
    ASSERT_EQ(results[i].outcomes, 1);
    if (i % 2) {
      EXPECT_EQ(results[i].fate, Fate::timed_out);
      ++timeouts;
    } else {
      EXPECT_EQ(results[i].fate, Fate::reply);
      EXPECT_EQ(results[i].value, value_of(0, i));
      EXPECT_GE(results[i].request_duration, 300 * kMillisecond);
      ++replies;
    }
  }
  EXPECT_EQ(replies + timeouts, kRequests);
  EXPECT_EQ(ch.late_replies(), kRequests / 2);
  EXPECT_EQ(gw.answered(), kRequests);
}

// A run that is stopped leaves replies on their way: they reach the channel after it was
// detached and stay in its queue. Each holds a consumed message, and librdkafka's destroy waits
// for every message of its consumer, so the client must free them first or never finish.
TEST_P(KafkaClient, RepliesQueuedAfterDetachDoNotHoldTheClientsDestruction) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  MockCluster mock;
  auto s = std::make_unique<Scene>(mock_config(mock));
  Gateway gw(mock.bootstraps(), {s->route()}, s->client.names().errors(), Gateway::Mode::echo,
             std::chrono::milliseconds(200));
  const std::vector<Result> results = run_requests(GetParam(), *s, 4, 1, 20 * kMillisecond);
  for (const Result& r : results) EXPECT_EQ(r.fate, Fate::timed_out);
  // The replies come after the detach, into the channel's queue.
  const Nanos give_up = now_ns() + 5 * kSecond;
  while (gw.answered() < 4 && now_ns() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(gw.answered(), 4u);
  auto destroyed = std::make_shared<std::atomic<bool>>(false);
  std::thread([scene = s.release(), destroyed] {
    delete scene;
    destroyed->store(true);
  }).detach();
  const Nanos deadline = now_ns() + 20 * kSecond;
  while (!destroyed->load() && now_ns() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!destroyed->load()) {
    ADD_FAILURE() << "the client's destruction did not end within 20 s";
    std::fflush(nullptr);
    std::_Exit(1);  // the destroying thread cannot be stopped
  }
}

runtime::Task<void> stop_after(runtime::Reactor& r, Nanos delay) {
  co_await runtime::sleep_until(r, now_ns() + delay);
  r.timers().fire_all_interrupted();
}

TEST_P(KafkaClient, AHardStopInterruptsTheWait) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  MockCluster mock;
  Scene s(mock_config(mock));
  auto reactor = runtime::make_reactor(runtime::choose_backend(GetParam()));
  Channel& ch = s.client.channel(0);
  ch.attach(*reactor);
  std::vector<Result> results(3);
  for (std::size_t i = 0; i < 3; ++i) reactor->spawn(vu(ch, s.inputs(), "iris", 0, i, 1, 10 * kSecond, 0, results));
  reactor->spawn(stop_after(*reactor, 100 * kMillisecond));
  reactor->run();
  ch.detach();
  for (const Result& r : results) {
    ASSERT_EQ(r.outcomes, 1);
    EXPECT_EQ(r.fate, Fate::interrupted);
    EXPECT_LT(r.ended_at - r.started, 5 * kSecond);
  }
  EXPECT_EQ(ch.in_flight(), 0u);
}

TEST_P(KafkaClient, AProduceThatFailsSaysWhy) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  MockCluster mock;
  Scene s(mock_config(mock));
  // The topic has one partition: librdkafka refuses partition 7.
  const std::vector<Result> results = run_requests(GetParam(), s, 1, 2, 5 * kSecond, 0, 7);
  for (const Result& r : results) {
    ASSERT_EQ(r.outcomes, 1);
    EXPECT_EQ(r.fate, Fate::produce_failed);
    EXPECT_EQ(r.error_name, "_UNKNOWN_PARTITION");
    EXPECT_LT(r.ended_at - r.started, 5 * kSecond);
  }
}

TEST_P(KafkaClient, WorkersOfOneClientEachGetTheirOwnReplies) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  MockCluster mock;
  ClientConfig config = mock_config(mock);
  config.channels = 2;
  Scene s(config);
  Gateway gw(mock.bootstraps(), {s.route()}, s.client.names().errors(), Gateway::Mode::echo);
  constexpr std::size_t kVus = 4, kPerVu = 25;
  std::vector<std::vector<Result>> results(2, std::vector<Result>(kVus * kPerVu));
  const Topic& topic = s.inputs();
  std::vector<std::thread> workers;
  for (std::size_t w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      auto reactor = runtime::make_reactor(runtime::choose_backend(GetParam()));
      Channel& ch = s.client.channel(w);
      ch.attach(*reactor);
      for (std::size_t v = 0; v < kVus; ++v) {
        reactor->spawn(vu(ch, topic, "iris", w, v * kPerVu, kPerVu, 5 * kSecond, 0, results[w]));
      }
      reactor->run();
      ch.detach();
    });
  }
  for (auto& t : workers) t.join();
  for (std::size_t w = 0; w < 2; ++w) {
    for (std::size_t i = 0; i < results[w].size(); ++i) {
      ASSERT_EQ(results[w][i].outcomes, 1);
      ASSERT_EQ(results[w][i].fate, Fate::reply) << to_string(results[w][i].fate);
      EXPECT_EQ(results[w][i].value, value_of(w, i));
    }
    EXPECT_EQ(s.client.channel(w).late_replies(), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Io, KafkaClient, ::testing::Values(runtime::IoBackend::uring, runtime::IoBackend::epoll),
                         [](const auto& info) { return info.param == runtime::IoBackend::uring ? "uring" : "epoll"; });

TEST(KafkaClientConfig, ABadSettingIsNamedWithLibrdkafkasReason) {
  ClientConfig c;
  c.bootstrap_servers = "127.0.0.1:1";
  c.settings.push_back({"no.such.property", "1"});
  try {
    Client client(c);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "Kafka setting \"no.such.property=1\": No such configuration property: \"no.such.property\"");
  }
  c.settings = {{"security.protocol", "carrier-pigeon"}};
  try {
    Client client(c);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("Kafka setting \"security.protocol=carrier-pigeon\": Invalid value"),
              std::string::npos)
        << e.what();
  }
}

TEST(KafkaClientConfig, SettingsAreKeyEqualsValue) {
  const Setting s = parse_setting("sasl.password=a=b");
  EXPECT_EQ(s.key, "sasl.password");
  EXPECT_EQ(s.value, "a=b");
  EXPECT_EQ(parse_setting("ssl.ca.location=").value, "");
  for (const char* bad : {"", "novalue", "=x"}) {
    try {
      parse_setting(bad);
      ADD_FAILURE() << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), std::string("Kafka setting \"") + bad + "\": expected key=value");
    }
  }
}

TEST(KafkaClientConfig, ABadPrefixIsRefused) {
  ClientConfig c;
  c.bootstrap_servers = "127.0.0.1:1";
  c.topic_prefix = "sel don";
  EXPECT_THROW(Client{c}, std::invalid_argument);
}

}  // namespace
}  // namespace inferload::kafka
