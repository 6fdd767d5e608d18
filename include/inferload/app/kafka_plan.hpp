#pragma once
// Kafka direct mode as `inferload run` takes it (docs/kafka.md): the bootstrap servers
// (--kafka-bootstrap, else KAFKA_BOOTSTRAP_SERVERS), the topic prefix (--kafka-topic-prefix,
// default seldon) and namespace (NAMESPACE, default `default`, as SCv2 names its topics),
// librdkafka properties (--kafka-config key=value) and the schema-registry framing
// (--kafka-schema-id). The client is made before setup, so that a bad setting stops the run
// before anything is loaded, and prepared after it, once the models' topics are SCv2's to serve.
#include <cstdint>
#include <memory>
#include <string>

#include "inferload/app/cli.hpp"
#include "inferload/kafka/client.hpp"
#include "inferload/scv2/kafka_targets.hpp"
#include "inferload/scv2/settings.hpp"

namespace inferload::app {

struct KafkaRun {
  std::unique_ptr<kafka::Client> client;
  std::unique_ptr<scv2::KafkaTargetTable> targets;
  std::string bootstrap;
  std::string topic_example;  // the first model's request topic, for the header
  bool pipeline = false;

  // Blocking: creates the missing topics, positions the consumer and opens the topics. Throws
  // ExitError (kExitSetupFailed) naming the topic or the setting at fault.
  void prepare();
  // After the run: the replies that came after their request had ended, over every channel.
  std::uint64_t late_replies() const;
};

// Throws ExitError (kExitOtherError) with one line naming the flag or variable at fault.
// `workers`: a channel each; `max_vus`: what one worker may have in flight at most.
KafkaRun plan_kafka(const RunArgs& args, const scv2::EnvLookup& env, const scv2::Settings& settings,
                    const scv2::TargetTable& targets, int workers, std::uint64_t max_vus);

}  // namespace inferload::app
