#pragma once
// inferload's Kafka client: one librdkafka producer and one consumer, the threads that serve
// them, and a Channel per worker.
//
// Threads. librdkafka runs its own (brokers, timers); the client adds two: one calls
// rd_kafka_poll() on the producer, which runs the delivery-report callback, and one takes the
// consumer's records in batches. Both hand each record to the worker that issued the request
// (its channel, named by the request id in the record's opaque or key) through that channel's
// lock-free queue, and ring the worker's doorbell once per batch.
//
// Positioning. Before the first request, prepare() creates the topics that are missing and
// assigns the consumer every partition of every reply topic and of the error topic, each at
// its end offset as the broker reports it at that moment (its high watermark). A reply, written
// after its request, is then always at or after the position read. A consumer-group
// subscription would have to wait for its rebalance, and with auto.offset.reset=latest a reply
// written before the group's first fetch resolved "latest" would be skipped; an explicit
// assignment has no rebalance and no such window. The group id is private (`inferload-<nonce>`)
// and never commits, so it disturbs no SCv2 consumer.
//
// One client per process, its workers sharing it through their channels: one client per worker
// cost 2 to 5 times the CPU per request (docs/kafka.md, kafka_client_cost_test), since every
// worker then adds a producer and a consumer with librdkafka's threads and connections, and
// every consumer reads (and drops) the other workers' replies as well.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "inferload/kafka/channel.hpp"
#include "inferload/kafka/topics.hpp"

namespace inferload::kafka {

// A librdkafka configuration property passed through as given (security.protocol, sasl.*,
// ssl.*, or any other).
struct Setting {
  std::string key;
  std::string value;
};
// "key=value"; throws std::invalid_argument naming the text when there is no '=' or no key.
Setting parse_setting(std::string_view text);

struct ClientConfig {
  std::string bootstrap_servers;
  std::string topic_prefix{kDefaultTopicPrefix};
  std::string ns;  // SCv2's namespace; empty: `default`
  std::vector<Setting> settings;  // applied after inferload's defaults, to producer and consumer
  std::optional<std::uint32_t> schema_id;  // Confluent framing of request values, stripped from replies
  std::size_t channels = 1;                // one per worker
  std::size_t max_in_flight = 4096;        // per channel
  bool create_topics = true;               // CreateTopics for those missing, in prepare()
  int new_topic_partitions = 1;            // SCv2's KAFKA_DEFAULT_NUM_PARTITIONS default
  int new_topic_replication = -1;          // the broker's default
  Nanos setup_timeout = 10 * runtime::kSecond;
};

class Client {
 public:
  // Throws std::invalid_argument with a one-line message naming the setting at fault (a bad
  // prefix, an unknown property or value: librdkafka's own words).
  explicit Client(ClientConfig config);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();  // every channel must be detached

  const TopicNames& names() const noexcept { return names_; }
  std::uint64_t nonce() const noexcept { return nonce_; }

  // Blocking, once, before the first request: makes sure the topics exist, positions the
  // consumer at the end of every reply topic and of the error topic, and starts reading.
  // Throws std::runtime_error naming the topic or setting at fault, or the timeout.
  void prepare(const std::vector<std::string>& request_topics, const std::vector<std::string>& reply_topics);

  // A topic to produce to; not thread-safe (plan time), the handle is.
  const Topic& topic(const std::string& name);

  Channel& channel(std::size_t i) noexcept { return *channels_[i]; }
  std::size_t channels() const noexcept { return channels_.size(); }

  // Records on the reply topics that answer no request of this client (another process's).
  std::uint64_t foreign_records() const noexcept { return foreign_records_.load(std::memory_order_relaxed); }

 private:
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);
  static void on_log(const rd_kafka_t* rk, int level, const char* fac, const char* buf);
  void prepare_topics(const std::vector<std::string>& request_topics, const std::vector<std::string>& reply_topics);
  void run_producer_poll();
  void run_consumer_poll();
  void notify_touched(std::vector<std::uint8_t>& touched) noexcept;
  // A consumed record to the worker whose request it answers (or dropped, counted as foreign).
  void hand_over(rd_kafka_message_t* m, std::vector<std::uint8_t>& touched) noexcept;
  Topic& open_topic(const std::string& name);
  void create_topics(const std::vector<std::string>& wanted);
  void assign_at_end(const std::vector<std::string>& topics);

  ClientConfig config_;
  TopicNames names_;
  std::uint64_t nonce_;
  std::string errors_topic_;
  rd_kafka_t* producer_ = nullptr;
  rd_kafka_t* consumer_ = nullptr;
  std::vector<std::unique_ptr<Channel>> channels_;
  std::deque<Topic> topics_;
  std::vector<std::uint8_t> delivery_touched_;  // the producer poll thread's
  std::atomic<bool> stop_{false};
  // Until prepare() succeeds, librdkafka's log lines are kept (the last one) instead of
  // printed: a failure to reach the cluster is prepare()'s to report, in one line.
  std::atomic<bool> holding_logs_{true};
  std::mutex log_mutex_;
  std::string last_log_;
  std::atomic<std::uint64_t> foreign_records_{0};
  std::thread producer_thread_;
  std::thread consumer_thread_;
};

}  // namespace inferload::kafka
