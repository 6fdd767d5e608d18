#pragma once
// The model types of SCv2's k6 suite (tests/k6/components/model.js) and the inference payloads
// each one sends, as the suite builds them (section 4.2 of the suite's specification).
#include <string>
#include <vector>

namespace inferload::scv2 {

// Every MODEL_TYPE the suite knows, in its catalogue order.
const std::vector<std::string>& known_model_types();

// The REST (V2 JSON) request body for `type` at batch size `batch`. Throws std::invalid_argument
// naming MODEL_TYPE for a type the suite does not know.
std::string rest_payload(const std::string& type, int batch);

// Whether the suite defines a gRPC payload for `type` that can be encoded: add10 puts reals in
// int_contents, and echo and synth declare BYTES but carry floats, so those three have none.
bool has_grpc_payload(const std::string& type);

// The serialized inference.ModelInferRequest for `type` at batch size `batch`, addressed to
// `model_name`: the REST payload's tensors in typed contents, except where the suite's gRPC form
// differs (iris's input is named "input"; tfsimple_string carries the byte "1"). Throws
// std::invalid_argument naming MODEL_TYPE for an unknown type or one without a gRPC payload.
std::string grpc_payload(const std::string& type, const std::string& model_name, int batch);

}  // namespace inferload::scv2
