#pragma once
// What a Kafka request to each model of a run is (suite section 7.6): the model's (or, via a
// pipeline, its one-step pipeline's) inputs topic, the name that goes into the key and the
// `pipeline` header, and the value, a serialized ModelInferRequest. The value leaves model_name
// out (SCv2's model gateway sets it from the topic), so one value serves every model of a type
// however many there are.
#include <cstdint>
#include <string>
#include <vector>

#include "inferload/kafka/client.hpp"
#include "inferload/oip/grpc_request.hpp"
#include "inferload/scv2/targets.hpp"

namespace inferload::scv2 {

struct KafkaTarget {
  std::string name;                  // the model's (or pipeline's) name, unversioned
  const kafka::Topic* topic = nullptr;  // set by open()
};

class KafkaTargetTable {
 public:
  // Every model of `rest`'s table; `pipeline` (VIA_PIPELINE) addresses the pipelines named
  // after them. Throws std::invalid_argument naming the type whose payload cannot be encoded.
  KafkaTargetTable(const TargetTable& rest, const kafka::TopicNames& names, bool pipeline,
                   oip::GrpcEncoding encoding = oip::GrpcEncoding::contents);

  // The topics to create or read, for kafka::Client::prepare().
  const std::vector<std::string>& request_topics() const noexcept { return request_topics_; }
  const std::vector<std::string>& reply_topics() const noexcept { return reply_topics_; }
  // After the client was prepared: every target's topic handle.
  void open(kafka::Client& client);

  const KafkaTarget& target(ModelPick m) const noexcept { return types_[m.type].targets[m.id]; }
  const std::string& value(ModelPick m) const noexcept { return types_[m.type].value; }
  // The topic a request to `m` goes to, by name (known before open()).
  const std::string& request_topic(ModelPick m) const noexcept {
    return request_topics_[types_[m.type].first_topic + m.id];
  }
  bool pipeline() const noexcept { return pipeline_; }

 private:
  struct PerType {
    std::string value;
    std::vector<KafkaTarget> targets;
    std::size_t first_topic = 0;  // its first model's place in request_topics_
  };
  std::vector<PerType> types_;
  std::vector<std::string> request_topics_, reply_topics_;
  bool pipeline_;
};

}  // namespace inferload::scv2
