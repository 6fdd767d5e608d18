#include "kafka_answer.hpp"

#include "grpc_validate.hpp"
#include "infer_echo_proto.hpp"
#include "inference.pb.h"

namespace scv2sim {

KafkaAnswer answer_infer_record(const Target& target, std::string_view value, bool fail) {
    KafkaAnswer answer;
    inference::ModelInferRequest req;
    if (!req.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
        answer.value = "value is not a binary inference.ModelInferRequest";
        return answer;
    }
    req.set_model_name(std::string(target.name));
    if (req.model_version().empty()) req.set_model_version("1");
    if (std::string problem = validate_infer_request(req); !problem.empty()) {
        answer.value = std::move(problem);
        return answer;
    }
    if (fail) {
        answer.value = "simulated error";
        return answer;
    }
    inference::ModelInferResponse res;
    echo_first_input(req, res);
    answer.ok = res.SerializeToString(&answer.value);
    if (!answer.ok) answer.value = "cannot serialise the response";
    return answer;
}

}  // namespace scv2sim
