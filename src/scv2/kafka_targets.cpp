#include "inferload/scv2/kafka_targets.hpp"

#include "inferload/scv2/catalogue.hpp"

namespace inferload::scv2 {

KafkaTargetTable::KafkaTargetTable(const TargetTable& rest, const kafka::TopicNames& names, bool pipeline,
                                   oip::GrpcEncoding encoding)
    : pipeline_(pipeline) {
  for (std::uint32_t k = 0; k < rest.types().size(); ++k) {
    const ModelTypeTargets& t = rest.types()[k];
    PerType p;
    p.first_topic = request_topics_.size();
    // proto3 leaves an empty string out of the message: model_name is SCv2's to fill.
    p.value = grpc_payload(t.type, "", t.batch, encoding);
    p.targets.resize(t.models);
    for (std::uint32_t id = 0; id < t.models; ++id) {
      // The name as loaded: SCv2's topics carry no version suffix.
      std::string name = t.fixed ? t.prefix : t.prefix + std::to_string(t.first + id);
      request_topics_.push_back(pipeline ? names.pipeline_inputs(name) : names.model_inputs(name));
      reply_topics_.push_back(pipeline ? names.pipeline_outputs(name) : names.model_outputs(name));
      p.targets[id].name = std::move(name);
    }
    types_.push_back(std::move(p));
  }
}

void KafkaTargetTable::open(kafka::Client& client) {
  std::size_t i = 0;
  for (PerType& p : types_) {
    for (KafkaTarget& t : p.targets) t.topic = &client.topic(request_topics_[i++]);
  }
}

}  // namespace inferload::scv2
