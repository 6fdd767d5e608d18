#include "kafka_topics.hpp"

namespace scv2sim {
namespace {

constexpr std::string_view model_part = "model.";
constexpr std::string_view pipeline_part = "pipeline.";
constexpr std::string_view inputs_suffix = ".inputs";

}  // namespace

KafkaTopics::KafkaTopics(std::string_view prefix, std::string_view ns) {
    base_.reserve(prefix.size() + ns.size() + 2);
    base_.append(prefix).append(".").append(ns).append(".");
    errors_.reserve(base_.size() + 13);
    errors_.append(base_).append("errors.errors");
}

std::optional<Target> KafkaTopics::inputs_of(std::string_view topic) const {
    if (topic.substr(0, base_.size()) != base_) return std::nullopt;
    topic.remove_prefix(base_.size());
    if (topic.size() <= inputs_suffix.size() ||
        topic.substr(topic.size() - inputs_suffix.size()) != inputs_suffix)
        return std::nullopt;
    topic.remove_suffix(inputs_suffix.size());
    Target target;
    if (topic.substr(0, model_part.size()) == model_part) {
        target.kind = Target::Kind::model;
        topic.remove_prefix(model_part.size());
    } else if (topic.substr(0, pipeline_part.size()) == pipeline_part) {
        target.kind = Target::Kind::pipeline;
        topic.remove_prefix(pipeline_part.size());
    } else {
        return std::nullopt;
    }
    if (topic.empty()) return std::nullopt;
    target.name = topic;
    return target;
}

std::string KafkaTopics::name(const Target& target, std::string_view direction) const {
    const std::string_view kind =
        target.kind == Target::Kind::pipeline ? pipeline_part : model_part;
    std::string out;
    out.reserve(base_.size() + kind.size() + target.name.size() + 1 + direction.size());
    out.append(base_).append(kind).append(target.name).append(".").append(direction);
    return out;
}

}  // namespace scv2sim
