#include "kafka_cluster.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <iostream>
#include <stdexcept>

namespace scv2sim {

KafkaCluster::KafkaCluster() {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    // The owner never connects anywhere: its warning about having no bootstrap.servers would
    // only be noise on the simulator's stderr.
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!owner_) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("cannot create the mock cluster's handle: ") + err);
    }
    cluster_ = rd_kafka_mock_cluster_new(owner_, 1);
    if (!cluster_) {
        rd_kafka_destroy(owner_);
        throw std::runtime_error("cannot start librdkafka's mock cluster");
    }
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

KafkaCluster::~KafkaCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(owner_);
}

bool KafkaCluster::create_topic(std::string_view name, int partitions) {
    const std::string topic(name);
    const rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) return true;
    std::cerr << "scv2-sim: kafka: cannot create topic " << topic << ": " << rd_kafka_err2str(e)
              << std::endl;
    return false;
}

}  // namespace scv2sim
