#pragma once
// Kafka peers for the client's tests: librdkafka's in-process mock cluster, and a model gateway
// of the test's own (a librdkafka consumer and producer on a thread) that answers each record
// of the inputs topics the way SCv2's gateway does: same key, same partition, the input's
// headers, on the outputs topic, or on the error topic with seldon-pipeline-errors.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace inferload::kafka::testing {

inline void conf_set(rd_kafka_conf_t* conf, const char* key, const char* value) {
  char err[256];
  if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) throw std::runtime_error(err);
}

inline rd_kafka_t* new_handle(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[256];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof(err));
  if (!rk) throw std::runtime_error(err);
  return rk;
}

class MockCluster {
 public:
  MockCluster() {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    conf_set(conf, "log_level", "3");
    handle_ = new_handle(RD_KAFKA_PRODUCER, conf);
    cluster_ = rd_kafka_mock_cluster_new(handle_, 1);
    if (!cluster_) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(handle_);
  }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  void create_topic(const std::string& name, int partitions) {
    if (rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1)) throw std::runtime_error("mock topic " + name);
  }

 private:
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

// The settings a client needs against the mock: the mock broker answers an empty fetch only
// after fetch.wait.max.ms, where a real broker answers as soon as a record arrives.
inline constexpr const char* kMockFetchWait = "5";

struct SeenRecord {
  std::string topic;
  std::int32_t partition;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

class Gateway {
 public:
  enum class Mode { echo, error };
  struct Route {
    std::string inputs;
    std::string outputs;
    std::string model;
  };

  // Reads every route's inputs topic from its start (partition 0); replies after `delay`.
  Gateway(const std::string& bootstraps, std::vector<Route> routes, std::string errors_topic, Mode mode,
          std::chrono::milliseconds delay = std::chrono::milliseconds(0))
      : routes_(std::move(routes)), errors_(std::move(errors_topic)), mode_(mode), delay_(delay) {
    rd_kafka_conf_t* c = rd_kafka_conf_new();
    conf_set(c, "bootstrap.servers", bootstraps.c_str());
    conf_set(c, "group.id", "test-gateway");
    conf_set(c, "fetch.wait.max.ms", kMockFetchWait);
    conf_set(c, "log_level", "3");
    conf_set(c, "socket.nagle.disable", "true");
    consumer_ = new_handle(RD_KAFKA_CONSUMER, c);
    rd_kafka_conf_t* p = rd_kafka_conf_new();
    conf_set(p, "bootstrap.servers", bootstraps.c_str());
    conf_set(p, "linger.ms", "0");
    conf_set(p, "log_level", "3");
    conf_set(p, "socket.nagle.disable", "true");
    producer_ = new_handle(RD_KAFKA_PRODUCER, p);
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    for (const Route& r : routes_) rd_kafka_topic_partition_list_add(list, r.inputs.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(consumer_, list);
    rd_kafka_topic_partition_list_destroy(list);
    thread_ = std::thread([this] { run(); });
  }
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;
  ~Gateway() {
    stop_ = true;
    thread_.join();
    rd_kafka_flush(producer_, 1000);
    rd_kafka_destroy(producer_);
    rd_kafka_consumer_close(consumer_);
    rd_kafka_destroy(consumer_);
  }

  std::size_t answered() const { return answered_.load(); }
  std::vector<SeenRecord> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  struct Pending {
    rd_kafka_message_t* message;
    std::chrono::steady_clock::time_point due;
  };

  void run() {
    std::deque<Pending> pending;
    while (!stop_) {
      if (rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, pending.empty() ? 20 : 1)) {
        if (m->err) rd_kafka_message_destroy(m);
        else pending.push_back({m, std::chrono::steady_clock::now() + delay_});
      }
      while (!pending.empty() && pending.front().due <= std::chrono::steady_clock::now()) {
        answer(pending.front().message);
        rd_kafka_message_destroy(pending.front().message);
        pending.pop_front();
      }
      rd_kafka_poll(producer_, 0);
    }
    for (Pending& p : pending) rd_kafka_message_destroy(p.message);
  }

  void answer(rd_kafka_message_t* m) {
    SeenRecord r;
    r.topic = rd_kafka_topic_name(m->rkt);
    r.partition = m->partition;
    r.key.assign(static_cast<const char*>(m->key), m->key_len);
    r.value.assign(static_cast<const char*>(m->payload), m->len);
    rd_kafka_headers_t* hdrs = nullptr;
    rd_kafka_headers_t* copy = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* v;
      std::size_t n;
      for (std::size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        r.headers.emplace_back(name, std::string(static_cast<const char*>(v), n));
      }
      copy = rd_kafka_headers_copy(hdrs);
    } else {
      copy = rd_kafka_headers_new(1);
    }
    const Route* route = nullptr;
    for (const Route& x : routes_) {
      if (x.inputs == r.topic) route = &x;
    }
    std::string out_topic;
    std::string value;
    std::int32_t partition = m->partition;
    if (mode_ == Mode::echo) {
      out_topic = route->outputs;
      value = r.value;  // the reply carries the request's bytes back, so a test can tell replies apart
    } else {
      out_topic = errors_;
      partition = 0;
      value = "model " + route->model + " failed: boom";
      rd_kafka_header_add(copy, "seldon-pipeline-errors", -1, route->model.data(), static_cast<ssize_t>(route->model.size()));
    }
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_, RD_KAFKA_V_TOPIC(out_topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(m->key, m->key_len),
        RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_HEADERS(copy), RD_KAFKA_V_END);
    if (err) rd_kafka_headers_destroy(copy);
    else ++answered_;
    std::lock_guard lock(mutex_);
    seen_.push_back(std::move(r));
  }

  std::vector<Route> routes_;
  std::string errors_;
  Mode mode_;
  std::chrono::milliseconds delay_;
  rd_kafka_t* consumer_ = nullptr;
  rd_kafka_t* producer_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> answered_{0};
  std::mutex mutex_;
  std::vector<SeenRecord> seen_;
  std::thread thread_;
};

}  // namespace inferload::kafka::testing
