#include "kafka_gateway.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <stdexcept>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "kafka_answer.hpp"

namespace scv2sim {
namespace {

using Clock = std::chrono::steady_clock;

// How often the gateway looks for new inputs topics and partitions: a topic's first records
// wait this long at most before they are read, as a real gateway needs a moment to add a model.
constexpr auto discovery_interval = std::chrono::milliseconds(100);
// The longest the loop sleeps in librdkafka, so that a stop is noticed promptly.
constexpr int max_wait_ms = 50;
constexpr std::size_t batch_size = 256;

using Settings = std::vector<std::pair<const char*, const char*>>;

rd_kafka_t* new_client(rd_kafka_type_t type, const std::string& bootstrap, const Settings& settings,
                       void (*on_delivery)(rd_kafka_t*, const rd_kafka_message_t*, void*)) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    Settings all{{"bootstrap.servers", bootstrap.c_str()}};
    all.insert(all.end(), settings.begin(), settings.end());
    for (const auto& [key, value] : all)
        if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            throw std::runtime_error(std::string("kafka client setting ") + key + ": " + err);
        }
    if (on_delivery) rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("cannot create a Kafka client: ") + err);
    }
    return rk;
}

void report_failed_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    if (m->err)
        std::cerr << "scv2-sim: kafka: a reply to " << rd_kafka_topic_name(m->rkt)
                  << " was not delivered: " << rd_kafka_err2str(m->err) << std::endl;
}

std::optional<std::string_view> last_header(const rd_kafka_message_t* m, const char* name) {
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
    const void* value = nullptr;
    std::size_t size = 0;
    if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return std::nullopt;
    return value ? std::string_view(static_cast<const char*>(value), size) : std::string_view();
}

}  // namespace

class KafkaGateway::Loop {
public:
    Loop(const KafkaConfig& config, const KafkaTopics& topics, KafkaCluster& cluster)
        : config_(config), topics_(topics), cluster_(cluster), rng_(std::random_device{}()) {
        // The broker is local: waiting long for a fetch to fill, or for a delayed ACK before
        // sending the next segment (Nagle's algorithm, 40 ms), would only add latency.
        consumer_ = new_client(RD_KAFKA_CONSUMER, cluster.bootstrap(),
                               {{"fetch.wait.max.ms", "5"},
                                {"socket.nagle.disable", "true"},
                                {"enable.auto.commit", "false"},
                                {"enable.auto.offset.store", "false"},
                                {"enable.partition.eof", "false"}},
                               nullptr);
        queue_ = rd_kafka_queue_new(consumer_);
        try {
            producer_ = new_client(RD_KAFKA_PRODUCER, cluster.bootstrap(),
                                   {{"linger.ms", "0"}, {"socket.nagle.disable", "true"}},
                                   report_failed_delivery);
        } catch (...) {
            rd_kafka_queue_destroy(queue_);
            rd_kafka_destroy(consumer_);
            throw;
        }
    }

    ~Loop() {
        while (!pending_.empty()) {
            rd_kafka_message_destroy(pending_.top().msg);
            pending_.pop();
        }
        for (auto& [name, input] : inputs_) {
            for (int p = 0; p < input.started; ++p) rd_kafka_consume_stop(input.handle, p);
            rd_kafka_topic_destroy(input.handle);
        }
        rd_kafka_queue_destroy(queue_);
        rd_kafka_destroy(consumer_);
        // Replies already produced get a moment to reach the broker; SIGTERM stays prompt.
        rd_kafka_flush(producer_, 500);
        rd_kafka_destroy(producer_);
    }

    void run(const std::atomic<bool>& stopping) {
        auto next_discovery = Clock::now();
        std::vector<rd_kafka_message_t*> batch(batch_size);
        while (!stopping.load(std::memory_order_acquire)) {
            auto now = Clock::now();
            if (now >= next_discovery) {
                discover();
                now = Clock::now();
                next_discovery = now + discovery_interval;
            }
            while (!pending_.empty() && pending_.top().due <= now) {
                rd_kafka_message_t* m = pending_.top().msg;
                pending_.pop();
                answer(m);
            }
            rd_kafka_poll(producer_, 0);
            auto wake = next_discovery;
            if (!pending_.empty()) wake = std::min(wake, pending_.top().due);
            const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
            const int timeout_ms = static_cast<int>(std::clamp<long long>(wait, 0, max_wait_ms));
            // A batch call waits for a full batch or the timeout: the wait is for one record,
            // and whatever else is there already comes with it.
            rd_kafka_message_t* first = rd_kafka_consume_queue(queue_, timeout_ms);
            if (!first) continue;
            now = Clock::now();
            take(first, now);
            const ssize_t n = rd_kafka_consume_batch_queue(queue_, 0, batch.data(), batch.size());
            for (ssize_t i = 0; i < n; ++i) take(batch[static_cast<std::size_t>(i)], now);
        }
    }

private:
    struct Pending {
        Clock::time_point due;
        std::uint64_t order;  // equal delays keep their records' order
        rd_kafka_message_t* msg;
        bool operator>(const Pending& o) const {
            return due != o.due ? due > o.due : order > o.order;
        }
    };
    struct InputTopic {
        rd_kafka_topic_t* handle = nullptr;
        int started = 0;  // partitions 0 .. started-1 are being consumed
    };

    // Reads every topic of the cluster and starts consuming the new partitions of inputs topics
    // from their beginning, so that records produced before the gateway saw the topic are
    // answered too.
    void discover() {
        const rd_kafka_metadata_t* md = nullptr;
        if (rd_kafka_metadata(consumer_, 1, nullptr, &md, 1000) != RD_KAFKA_RESP_ERR_NO_ERROR)
            return;
        std::unordered_set<std::string_view> existing;
        for (int i = 0; i < md->topic_cnt; ++i) existing.insert(md->topics[i].topic);
        for (int i = 0; i < md->topic_cnt; ++i) {
            const rd_kafka_metadata_topic_t& t = md->topics[i];
            const auto target = topics_.inputs_of(t.topic);
            if (t.err || !target) continue;
            auto it = inputs_.find(t.topic);
            if (it == inputs_.end()) {
                rd_kafka_topic_t* handle = rd_kafka_topic_new(consumer_, t.topic, nullptr);
                if (!handle) continue;
                it = inputs_.emplace(t.topic, InputTopic{handle, 0}).first;
            }
            InputTopic& input = it->second;
            if (t.partition_cnt <= input.started) continue;
            // Replies go to the same partition, so the outputs topic needs as many.
            if (const std::string out = topics_.outputs(*target); !existing.count(out))
                cluster_.create_topic(out, t.partition_cnt);
            for (int p = input.started; p < t.partition_cnt; ++p)
                if (rd_kafka_consume_start_queue(input.handle, p, RD_KAFKA_OFFSET_BEGINNING,
                                                 queue_) == -1)
                    std::cerr << "scv2-sim: kafka: cannot consume " << t.topic << " [" << p
                              << "]: " << rd_kafka_err2str(rd_kafka_last_error()) << std::endl;
            input.started = t.partition_cnt;
        }
        rd_kafka_metadata_destroy(md);
    }

    // The model or pipeline a consumed record is for: its topic says, as in SCv2.
    Target target_of(const rd_kafka_message_t* m) const {
        return *topics_.inputs_of(rd_kafka_topic_name(m->rkt));
    }

    void take(rd_kafka_message_t* m, Clock::time_point now) {
        if (m->err) {
            std::cerr << "scv2-sim: kafka: consumer: " << rd_kafka_message_errstr(m) << std::endl;
            rd_kafka_message_destroy(m);
            return;
        }
        const Target target = target_of(m);
        // The dataflow engine keeps only the records of its own pipeline.
        if (target.kind == Target::Kind::pipeline && last_header(m, "pipeline") != target.name) {
            rd_kafka_message_destroy(m);
            return;
        }
        if (config_.registry && config_.registry->filters() && !config_.registry->serves(target)) {
            config_.stats->count(KafkaOutcome::not_found);
            rd_kafka_message_destroy(m);
            return;
        }
        if (config_.latency.is_zero()) {
            answer(m);
            return;
        }
        pending_.push({now + config_.latency.sample(rng_), order_++, m});
    }

    void answer(rd_kafka_message_t* m) {
        const Target target = target_of(m);
        const bool fail = config_.error_rate > 0 && rng_.unit() < config_.error_rate;
        const std::string_view value(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
        const KafkaAnswer a = answer_infer_record(target, value, fail);
        if (a.ok) {
            produce(topics_.outputs(target), m->partition, m, a.value, nullptr);
        } else if (target.kind == Target::Kind::model) {
            produce(topics_.errors(), RD_KAFKA_PARTITION_UA, m, a.value, &target);
        } else {
            // The pipeline gateway reads only the pipeline's outputs topic: a failed step reaches
            // it there, marked by the header.
            produce(topics_.outputs(target), m->partition, m, a.value, &target);
        }
        rd_kafka_message_destroy(m);
    }

    // Same key, the input's headers, and seldon-pipeline-errors for an error record.
    void produce(const std::string& topic, std::int32_t partition, const rd_kafka_message_t* in,
                 const std::string& value, const Target* error_of) {
        rd_kafka_headers_t* in_headers = nullptr;
        rd_kafka_headers_t* headers = rd_kafka_message_headers(in, &in_headers) ==
                                              RD_KAFKA_RESP_ERR_NO_ERROR
                                          ? rd_kafka_headers_copy(in_headers)
                                          : rd_kafka_headers_new(1);
        if (error_of)
            rd_kafka_header_add(headers, "seldon-pipeline-errors", -1, error_of->name.data(),
                                static_cast<ssize_t>(error_of->name.size()));
        const KafkaOutcome outcome = error_of ? KafkaOutcome::error : KafkaOutcome::answered;
        config_.stats->count(outcome);
        rd_kafka_resp_err_t e;
        // A full local queue empties as the broker acknowledges: wait for it rather than drop.
        for (int tries = 0;; ++tries) {
            e = rd_kafka_producev(
                producer_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                RD_KAFKA_V_KEY(in->key, in->key_len),
                RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
                RD_KAFKA_V_END);
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || tries == 100) break;
            rd_kafka_poll(producer_, 10);
        }
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            config_.stats->uncount(outcome);
            rd_kafka_headers_destroy(headers);
            std::cerr << "scv2-sim: kafka: cannot produce to " << topic << ": "
                      << rd_kafka_err2str(e) << std::endl;
        }
    }

    const KafkaConfig& config_;
    const KafkaTopics& topics_;
    KafkaCluster& cluster_;
    rd_kafka_t* consumer_ = nullptr;
    rd_kafka_queue_t* queue_ = nullptr;
    rd_kafka_t* producer_ = nullptr;
    std::map<std::string, InputTopic, std::less<>> inputs_;
    std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending_;
    std::uint64_t order_ = 0;
    SplitMix64 rng_;  // only the loop's thread draws
};

KafkaGateway::KafkaGateway(const KafkaConfig& config)
    : config_(config), topics_(config.topic_prefix, config.ns) {
    cluster_.create_topic(topics_.errors(), config_.partitions);
    loop_ = std::make_unique<Loop>(config_, topics_, cluster_);
    thread_ = std::thread([this] { loop_->run(stopping_); });
}

KafkaGateway::~KafkaGateway() { stop(); }

void KafkaGateway::create_topics(const Target& target) {
    cluster_.create_topic(topics_.inputs(target), config_.partitions);
    cluster_.create_topic(topics_.outputs(target), config_.partitions);
}

void KafkaGateway::stop() {
    stopping_.store(true, std::memory_order_release);
    if (thread_.joinable()) thread_.join();
    loop_.reset();
}

}  // namespace scv2sim
