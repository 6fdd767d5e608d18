#pragma once
// librdkafka's mock Kafka cluster (rdkafka_mock.h), one broker listening on 127.0.0.1, on a
// client handle of its own that exists only to own it.

#include <string>
#include <string_view>

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;

namespace scv2sim {

class KafkaCluster {
public:
    // Throws std::runtime_error with a one-line reason when the cluster cannot start.
    KafkaCluster();
    ~KafkaCluster();
    KafkaCluster(const KafkaCluster&) = delete;
    KafkaCluster& operator=(const KafkaCluster&) = delete;

    // "127.0.0.1:PORT", the clients' bootstrap.servers.
    const std::string& bootstrap() const { return bootstrap_; }
    // Creates a topic unless it exists; from any thread. False (with a reason on stderr) if the
    // cluster refused it for another reason.
    bool create_topic(std::string_view name, int partitions);

private:
    rd_kafka_t* owner_ = nullptr;
    rd_kafka_mock_cluster_t* cluster_ = nullptr;
    std::string bootstrap_;
};

}  // namespace scv2sim
