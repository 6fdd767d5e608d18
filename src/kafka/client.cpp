#include "inferload/kafka/client.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <random>
#include <stdexcept>

namespace inferload::kafka {

namespace {

constexpr int kPollMs = 100;
constexpr int kBatch = 256;

// The request id's nonce: distinct for every process of a split test, however they started.
std::uint64_t make_nonce() {
  std::random_device rd;
  std::uint64_t n = (std::uint64_t{rd()} << 32) ^ rd();
  n ^= static_cast<std::uint64_t>(runtime::now_ns()) * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(::getpid());
  return n ? n : 1;
}

void set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    throw std::invalid_argument("Kafka setting \"" + key + "=" + value + "\": " + err);
  }
}

// inferload's defaults, then the user's settings over them.
rd_kafka_conf_t* make_conf(const ClientConfig& c, const std::vector<Setting>& defaults) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", c.bootstrap_servers);
  for (const Setting& s : defaults) set(conf, s.key, s.value);
  for (const Setting& s : c.settings) set(conf, s.key, s.value);
  return conf;
}

rd_kafka_t* make_handle(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof(err));
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw std::invalid_argument(std::string("Kafka client: ") + err);
  }
  return rk;
}

int ms(Nanos d) { return static_cast<int>(std::max<Nanos>(1, d / runtime::kMillisecond)); }

// The topic's partitions as the broker's metadata has them now (0: none, with `err` saying why).
// Asked through a producer, the request lets a broker that auto-creates topics create it.
int partition_count(rd_kafka_t* rk, const std::string& name, int timeout_ms, rd_kafka_resp_err_t& err) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, name.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  int partitions = 0;
  err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) {
    err = md->topics[0].err;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) partitions = md->topics[0].partition_cnt;
  }
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  return partitions;
}

// Blocks every signal in the calling thread while it lives, so that the threads it starts
// (librdkafka's, which start with its handles, and the client's own) inherit a full mask: a
// process-directed SIGINT or SIGTERM must reach the thread that waits for it (the run's
// signalfd), not kill the process from a thread that never blocked it.
class SignalsBlocked {
 public:
  SignalsBlocked() noexcept {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved_);
  }
  ~SignalsBlocked() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  SignalsBlocked(const SignalsBlocked&) = delete;
  SignalsBlocked& operator=(const SignalsBlocked&) = delete;

 private:
  sigset_t saved_;
};

}  // namespace

Setting parse_setting(std::string_view text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw std::invalid_argument("Kafka setting \"" + std::string(text) + "\": expected key=value");
  }
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

Client::Client(ClientConfig config)
    : config_(std::move(config)), names_(config_.topic_prefix, config_.ns), nonce_(make_nonce()),
      errors_topic_(names_.errors()) {
  const SignalsBlocked blocked;
  if (config_.bootstrap_servers.empty()) throw std::invalid_argument("Kafka bootstrap servers: none given");
  if (config_.channels == 0 || config_.channels > kMaxChannels) {
    throw std::invalid_argument("Kafka client: " + std::to_string(config_.channels) + " channels (1 to " +
                                std::to_string(kMaxChannels) + ")");
  }
  if (config_.max_in_flight == 0 || config_.max_in_flight > kMaxInFlight) {
    throw std::invalid_argument("Kafka client: " + std::to_string(config_.max_in_flight) +
                                " requests in flight per worker (1 to " + std::to_string(kMaxInFlight) + ")");
  }

  // A load generator measures latency: no lingering to fill batches (librdkafka waits 5 ms by
  // default) and no Nagle's algorithm (whose wait for the peer's delayed ACK added 40 ms to a
  // round trip), unless the user's settings say otherwise.
  rd_kafka_conf_t* pconf = make_conf(config_, {{"linger.ms", "0"}, {"socket.nagle.disable", "true"}});
  rd_kafka_conf_set_dr_msg_cb(pconf, &Client::on_delivery);
  rd_kafka_conf_set_opaque(pconf, this);
  rd_kafka_conf_set_log_cb(pconf, &Client::on_log);
  producer_ = make_handle(RD_KAFKA_PRODUCER, pconf);

  char group[40];
  char hex[kRequestIdChars];
  format_request_id(nonce_, 0, hex);
  std::snprintf(group, sizeof(group), "inferload-%.16s", hex);
  // A fetch that finds no record is held by the broker up to fetch.wait.max.ms (librdkafka's
  // default: 500). A broker answers as soon as a record arrives, but librdkafka's mock cluster
  // holds the fetch for all of it: 10 ms keeps such a wait out of the latencies measured, for
  // about a hundred idle fetches a second per broker.
  try {
    rd_kafka_conf_t* cconf = make_conf(
        config_, {{"group.id", group},
                  {"fetch.wait.max.ms", "10"},
                  {"enable.auto.commit", "false"},
                  {"enable.auto.offset.store", "false"},
                  {"socket.nagle.disable", "true"}});
    rd_kafka_conf_set_opaque(cconf, this);
    rd_kafka_conf_set_log_cb(cconf, &Client::on_log);
    consumer_ = make_handle(RD_KAFKA_CONSUMER, cconf);
  } catch (...) {
    rd_kafka_destroy(producer_);
    throw;
  }
  // Errors and other events of the consumer handle come through rd_kafka_consumer_poll() too,
  // instead of piling up in a main queue nobody serves.
  rd_kafka_poll_set_consumer(consumer_);

  channels_.reserve(config_.channels);
  for (std::size_t i = 0; i < config_.channels; ++i) {
    ChannelSettings s;
    s.producer = producer_;
    s.nonce = nonce_;
    s.index = static_cast<std::uint32_t>(i);
    s.max_in_flight = config_.max_in_flight;
    s.framed = config_.schema_id.has_value();
    s.schema_id = config_.schema_id.value_or(0);
    channels_.push_back(std::make_unique<Channel>(s));
  }
  delivery_touched_.assign(channels_.size(), 0);
  producer_thread_ = std::thread([this] { run_producer_poll(); });
}

Client::~Client() {
  stop_.store(true, std::memory_order_relaxed);
  if (consumer_thread_.joinable()) consumer_thread_.join();
  producer_thread_.join();
  // Records still queued in librdkafka get their (failed) delivery reports now; the detached
  // channels drop them.
  rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(producer_, 0);
  // Replies that came after their channel was detached are still in its queue, and a consumed
  // message keeps the consumer alive: rd_kafka_destroy() would wait for them for ever.
  channels_.clear();
  for (Topic& t : topics_) rd_kafka_topic_destroy(t.handle);
  rd_kafka_consumer_close(consumer_);
  rd_kafka_destroy(consumer_);
  rd_kafka_destroy(producer_);
}

void Client::on_log(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto* self = static_cast<Client*>(rd_kafka_opaque(rk));
  if (self && self->holding_logs_.load(std::memory_order_acquire)) {
    // Before the run a failure is prepare()'s to report, in one line that names the last of
    // these (a refused connection says more than librdkafka's "transport failure").
    const std::lock_guard<std::mutex> lock(self->log_mutex_);
    self->last_log_.assign(buf);
    return;
  }
  // During the run, a cluster that is down makes librdkafka log each broker's failed reconnect
  // several times a second for as long as the outage lasts: the lines go to stderr as
  // inferload's own, one a second at most with how many were left out, so that an outage is
  // seen without burying the rest of the output.
  static std::atomic<Nanos> last{0};
  static std::atomic<std::uint64_t> left_out{0};
  const Nanos now = runtime::now_ns();
  Nanos prev = last.load(std::memory_order_relaxed);
  if (now - prev < runtime::kSecond || !last.compare_exchange_strong(prev, now, std::memory_order_relaxed)) {
    left_out.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::uint64_t skipped = left_out.exchange(0, std::memory_order_relaxed);
  char more[64] = "";
  if (skipped > 0) std::snprintf(more, sizeof(more), " (%llu more lines left out)", static_cast<unsigned long long>(skipped));
  std::fprintf(stderr, "inferload: kafka %s (%s, level %d): %s%s\n", rd_kafka_name(rk), fac, level, buf, more);
}

const Topic& Client::topic(const std::string& name) { return open_topic(name); }

Topic& Client::open_topic(const std::string& name) {
  for (Topic& t : topics_) {
    if (t.name == name) return t;
  }
  rd_kafka_topic_t* h = rd_kafka_topic_new(producer_, name.c_str(), nullptr);
  if (!h) throw std::runtime_error("Kafka topic \"" + name + "\": " + rd_kafka_err2str(rd_kafka_last_error()));
  return topics_.emplace_back(Topic{name, h});
}

void Client::prepare(const std::vector<std::string>& request_topics, const std::vector<std::string>& reply_topics) {
  try {
    prepare_topics(request_topics, reply_topics);
  } catch (const std::runtime_error& e) {
    // The client goes away with the run: what librdkafka says until then is about the same
    // failure, so its lines stay held.
    const std::lock_guard<std::mutex> lock(log_mutex_);
    if (last_log_.empty()) throw;
    throw std::runtime_error(std::string(e.what()) + "; librdkafka's last word: " + last_log_);
  }
  holding_logs_.store(false, std::memory_order_release);
  const SignalsBlocked blocked;
  consumer_thread_ = std::thread([this] { run_consumer_poll(); });
}

void Client::prepare_topics(const std::vector<std::string>& request_topics,
                            const std::vector<std::string>& reply_topics) {
  // Once, before the steps that each wait up to the setup timeout per topic: a cluster that
  // does not answer at all is reported after one timeout, not after one per topic.
  {
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t e = rd_kafka_metadata(producer_, 0, nullptr, &md, ms(config_.setup_timeout));
    if (md) rd_kafka_metadata_destroy(md);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("no broker answered within " + std::to_string(ms(config_.setup_timeout) / 1000) +
                               "s (" + rd_kafka_err2str(e) + ")");
    }
  }
  std::vector<std::string> replies = reply_topics;
  replies.push_back(errors_topic_);
  std::sort(replies.begin(), replies.end());
  replies.erase(std::unique(replies.begin(), replies.end()), replies.end());
  if (config_.create_topics) {
    std::vector<std::string> all = request_topics;
    all.insert(all.end(), replies.begin(), replies.end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    create_topics(all);
  }
  for (const std::string& t : request_topics) {
    Topic& opened = open_topic(t);
    rd_kafka_resp_err_t why;
    opened.partitions = std::max(1, partition_count(producer_, t, ms(config_.setup_timeout), why));
  }
  assign_at_end(replies);
}

void Client::create_topics(const std::vector<std::string>& wanted) {
  // Only those the cluster does not have (nor creates on first use): CreateTopics needs the
  // controller, which some clusters (librdkafka's mock among them) do not name.
  std::vector<std::string> names;
  for (const std::string& n : wanted) {
    rd_kafka_resp_err_t why;
    if (partition_count(producer_, n, ms(config_.setup_timeout), why) == 0) names.push_back(n);
  }
  if (names.empty()) return;
  char err[512];
  std::vector<rd_kafka_NewTopic_t*> topics;
  auto free_topics = [&] {
    for (auto* t : topics) rd_kafka_NewTopic_destroy(t);
  };
  for (const std::string& n : names) {
    rd_kafka_NewTopic_t* t =
        rd_kafka_NewTopic_new(n.c_str(), config_.new_topic_partitions, config_.new_topic_replication, err, sizeof(err));
    if (!t) {
      free_topics();
      throw std::runtime_error("Kafka topic \"" + n + "\": " + err);
    }
    topics.push_back(t);
  }
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(producer_, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(options, ms(config_.setup_timeout), err, sizeof(err));
  rd_kafka_queue_t* q = rd_kafka_queue_new(producer_);
  rd_kafka_CreateTopics(producer_, topics.data(), topics.size(), options, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, ms(config_.setup_timeout) + 1000);
  std::string problem;
  if (!ev) {
    problem = "Kafka: creating the topics timed out (bootstrap servers " + config_.bootstrap_servers + ")";
  } else if (rd_kafka_event_error(ev)) {
    problem = std::string("Kafka: creating the topics: ") + rd_kafka_event_error_string(ev);
  } else {
    std::size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (std::size_t i = 0; i < n && problem.empty(); ++i) {
      const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        const char* why = rd_kafka_topic_result_error_string(results[i]);
        problem = std::string("Kafka topic \"") + rd_kafka_topic_result_name(results[i]) +
                  "\": cannot create it: " + (why ? why : rd_kafka_err2str(e));
      }
    }
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_AdminOptions_destroy(options);
  free_topics();
  if (!problem.empty()) throw std::runtime_error(problem);
}

void Client::assign_at_end(const std::vector<std::string>& topics) {
  const Nanos deadline = runtime::now_ns() + config_.setup_timeout;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  std::string problem;
  for (const std::string& name : topics) {
    // A topic just created may take a moment to show up in the metadata with its partitions.
    int partitions = 0;
    rd_kafka_resp_err_t last = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (;;) {
      partitions = partition_count(consumer_, name, ms(deadline - runtime::now_ns()), last);
      if (partitions > 0 || runtime::now_ns() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (partitions == 0) {
      problem = "Kafka topic \"" + name + "\": no partitions found (" + rd_kafka_err2str(last) + ")";
      break;
    }
    for (int p = 0; p < partitions; ++p) {
      std::int64_t low = 0, high = 0;
      const rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
          consumer_, name.c_str(), p, &low, &high, ms(deadline - runtime::now_ns()));
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        problem = "Kafka topic \"" + name + "\" partition " + std::to_string(p) + ": cannot read its end offset (" +
                  rd_kafka_err2str(e) + ")";
        break;
      }
      rd_kafka_topic_partition_list_add(list, name.c_str(), p)->offset = high;
    }
    if (!problem.empty()) break;
  }
  if (problem.empty()) {
    const rd_kafka_resp_err_t e = rd_kafka_assign(consumer_, list);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) problem = std::string("Kafka: assigning the reply topics: ") + rd_kafka_err2str(e);
  }
  rd_kafka_topic_partition_list_destroy(list);
  if (!problem.empty()) throw std::runtime_error(problem);
}

void Client::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto& self = *static_cast<Client*>(opaque);
  const auto id = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(m->_private));
  const std::uint32_t ch = channel_of(id);
  if (ch >= self.channels_.size()) return;
  Completion c;
  c.kind = m->err ? Completion::Kind::delivery_failed : Completion::Kind::delivered;
  c.err = m->err;
  c.id = id;
  c.at = runtime::now_ns();
  if (self.channels_[ch]->deliver(c)) self.delivery_touched_[ch] = 1;
}

void Client::notify_touched(std::vector<std::uint8_t>& touched) noexcept {
  for (std::size_t i = 0; i < touched.size(); ++i) {
    if (touched[i]) {
      touched[i] = 0;
      channels_[i]->notify();
    }
  }
}

void Client::run_producer_poll() {
  // Named, so that a profile or `top -H` tells the client's threads from librdkafka's (rdk:*).
  pthread_setname_np(pthread_self(), "inferload-kdr");
  while (!stop_.load(std::memory_order_relaxed)) {
    if (rd_kafka_poll(producer_, kPollMs) > 0) notify_touched(delivery_touched_);
  }
}

void Client::run_consumer_poll() {
  pthread_setname_np(pthread_self(), "inferload-krx");
  std::vector<std::uint8_t> touched(channels_.size(), 0);
  while (!stop_.load(std::memory_order_relaxed)) {
    // Waits for the first record only, then takes what is already there: a batch without the
    // wait for a full one that rd_kafka_consume_batch_queue() would add to every reply.
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, kPollMs);
    for (int taken = 0; m && taken < kBatch; ++taken) {
      hand_over(m, touched);
      m = taken + 1 < kBatch ? rd_kafka_consumer_poll(consumer_, 0) : nullptr;
    }
    notify_touched(touched);
  }
}

void Client::hand_over(rd_kafka_message_t* m, std::vector<std::uint8_t>& touched) noexcept {
  if (m->err) {  // a consumer event (partition end, a broker error), not a record
    rd_kafka_message_destroy(m);
    return;
  }
  const auto rid =
      parse_key_request_id(std::string_view(static_cast<const char*>(m->key), m->key ? m->key_len : 0));
  if (!rid || rid->nonce != nonce_ || channel_of(rid->id) >= channels_.size()) {
    foreign_records_.fetch_add(1, std::memory_order_relaxed);
    rd_kafka_message_destroy(m);
    return;
  }
  rd_kafka_headers_t* headers = nullptr;
  const void* v = nullptr;
  std::size_t len = 0;
  const bool flagged =
      rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      rd_kafka_header_get_last(headers, kPipelineErrorsHeader.data(), &v, &len) == RD_KAFKA_RESP_ERR_NO_ERROR;
  const bool is_error = flagged || errors_topic_ == rd_kafka_topic_name(m->rkt);
  Completion c;
  c.kind = is_error ? Completion::Kind::error_reply : Completion::Kind::reply;
  c.id = rid->id;
  c.at = runtime::now_ns();
  c.message = m;
  const std::uint32_t ch = channel_of(rid->id);
  if (channels_[ch]->deliver(c)) touched[ch] = 1;
  else rd_kafka_message_destroy(m);
}

}  // namespace inferload::kafka
