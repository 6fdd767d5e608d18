#pragma once
// SCv2's Kafka topic names (scheduler/pkg/kafka/topics.go): P.NS.model.M.inputs and .outputs,
// P.NS.pipeline.Q.inputs and .outputs, P.NS.errors.errors. Pure string work.

#include <optional>
#include <string>
#include <string_view>

#include "target.hpp"

namespace scv2sim {

class KafkaTopics {
public:
    KafkaTopics(std::string_view prefix, std::string_view ns);

    // The model or pipeline whose inputs topic `topic` is; nullopt for any other topic (outputs,
    // errors, a step's tensor topic "…inputs.T", another prefix or namespace). The name views
    // `topic`.
    std::optional<Target> inputs_of(std::string_view topic) const;
    std::string inputs(const Target& target) const { return name(target, "inputs"); }
    std::string outputs(const Target& target) const { return name(target, "outputs"); }
    const std::string& errors() const { return errors_; }

private:
    std::string name(const Target& target, std::string_view direction) const;
    std::string base_;  // "P.NS."
    std::string errors_;
};

}  // namespace scv2sim
