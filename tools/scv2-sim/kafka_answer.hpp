#pragma once
// What the simulated model gateway (or a one-step pipeline) answers to one input record's value.
// Pure: no Kafka client involved.

#include <string>
#include <string_view>

#include "target.hpp"

namespace scv2sim {

struct KafkaAnswer {
    bool ok = false;    // false: an error record, whose value is the one-line reason
    std::string value;  // a binary inference.ModelInferResponse when ok
};

// As SCv2's model gateway calls the model: the request's model_name becomes the target's name
// and its model_version "1" when empty, then it is validated and echoed. `fail` is
// --error-rate's draw for this record.
KafkaAnswer answer_infer_record(const Target& target, std::string_view value, bool fail);

}  // namespace scv2sim
