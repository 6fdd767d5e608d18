#include "inferload/app/kafka_plan.hpp"

#include <algorithm>
#include <stdexcept>

#include "inferload/app/options.hpp"
#include "inferload/kafka/channel.hpp"

namespace inferload::app {
namespace {

[[noreturn]] void fail(const std::string& source, const std::string& why) {
  throw ExitError(kExitOtherError, source + ": " + why);
}

}  // namespace

KafkaRun plan_kafka(const RunArgs& a, const scv2::EnvLookup& env, const scv2::Settings& settings,
                    const scv2::TargetTable& targets, int workers, std::uint64_t max_vus) {
  KafkaRun run;
  kafka::ClientConfig config;
  std::string source = "--kafka-bootstrap";
  if (a.kafka_bootstrap) {
    config.bootstrap_servers = *a.kafka_bootstrap;
  } else if (auto v = env("KAFKA_BOOTSTRAP_SERVERS"); v && !v->empty()) {
    config.bootstrap_servers = *v;
    source = "KAFKA_BOOTSTRAP_SERVERS";
  } else {
    fail("--kafka-bootstrap", "Kafka requests are asked for (INFER_KAFKA_ITERATIONS or INFER_TYPE=KAFKA), but no "
                              "bootstrap servers are given (--kafka-bootstrap HOST:PORT or KAFKA_BOOTSTRAP_SERVERS)");
  }
  if (config.bootstrap_servers.empty() || config.bootstrap_servers.find_first_of(" \t\n") != std::string::npos) {
    fail(source, "\"" + config.bootstrap_servers + "\" is not HOST:PORT[,HOST:PORT...]");
  }
  run.bootstrap = config.bootstrap_servers;
  if (a.kafka_topic_prefix) config.topic_prefix = *a.kafka_topic_prefix;
  config.ns = env("NAMESPACE").value_or("");
  for (const std::string& s : a.kafka_config) {
    try {
      config.settings.push_back(kafka::parse_setting(s));
    } catch (const std::invalid_argument& e) {
      fail("--kafka-config", e.what());
    }
  }
  if (a.kafka_schema_id) {
    config.schema_id = static_cast<std::uint32_t>(parse_count("--kafka-schema-id", *a.kafka_schema_id, 0, UINT32_MAX));
  }
  config.channels = static_cast<std::size_t>(std::max(workers, 1));
  // A VU has one request in flight at most: a worker needs no more slots than the run has VUs.
  config.max_in_flight = static_cast<std::size_t>(std::clamp<std::uint64_t>(max_vus, 16, kafka::kMaxInFlight));
  run.pipeline = settings.via_pipeline;
  try {
    const kafka::TopicNames names(config.topic_prefix, config.ns);
    run.targets = std::make_unique<scv2::KafkaTargetTable>(targets, names, run.pipeline);
  } catch (const std::invalid_argument& e) {
    fail(a.kafka_topic_prefix ? "--kafka-topic-prefix" : "Kafka", e.what());
  }
  try {
    run.client = std::make_unique<kafka::Client>(std::move(config));
  } catch (const std::invalid_argument& e) {
    // librdkafka's own words name the property.
    fail(a.kafka_config.empty() ? source : "--kafka-config", e.what());
  }
  if (!run.targets->request_topics().empty()) run.topic_example = run.targets->request_topics().front();
  return run;
}

void KafkaRun::prepare() {
  try {
    client->prepare(targets->request_topics(), targets->reply_topics());
    targets->open(*client);
  } catch (const std::exception& e) {
    throw ExitError(kExitSetupFailed, std::string("Kafka (") + bootstrap + "): " + e.what());
  }
}

std::uint64_t KafkaRun::late_replies() const {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < client->channels(); ++i) n += client->channel(i).late_replies();
  return n;
}

}  // namespace inferload::app
