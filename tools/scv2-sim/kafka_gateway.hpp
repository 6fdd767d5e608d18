#pragma once
// The simulated SCv2 model gateway and one-step pipelines on the mock Kafka cluster: consumes
// every inputs topic of the prefix and namespace and answers each record on its outputs topic
// (or as an error record), on a thread of its own with librdkafka clients of its own.

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "kafka_cluster.hpp"
#include "kafka_stats.hpp"
#include "kafka_topics.hpp"
#include "latency.hpp"
#include "registry.hpp"

namespace scv2sim {

struct KafkaConfig {
    std::string topic_prefix = "seldon";
    std::string ns = "default";
    int partitions = 1;  // of the topics the gateway creates itself
    LatencyModel latency;
    double error_rate = 0.0;
    KafkaStats* stats = nullptr;
    const Registry* registry = nullptr;
};

class KafkaGateway {
public:
    // Starts the cluster, the clients and the thread; throws std::runtime_error with a one-line
    // reason if any cannot start.
    explicit KafkaGateway(const KafkaConfig& config);
    ~KafkaGateway();
    KafkaGateway(const KafkaGateway&) = delete;
    KafkaGateway& operator=(const KafkaGateway&) = delete;

    const std::string& bootstrap() const { return cluster_.bootstrap(); }
    // The inputs and outputs topics of a model or pipeline, with config.partitions, as SCv2's
    // model gateway creates them when it adds a model; from any thread.
    void create_topics(const Target& target);
    // Drops records still waiting out their latency, flushes what was produced, and stops;
    // idempotent.
    void stop();

private:
    class Loop;
    const KafkaConfig config_;
    const KafkaTopics topics_;
    KafkaCluster cluster_;
    std::unique_ptr<Loop> loop_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace scv2sim
