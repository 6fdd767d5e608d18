#pragma once
// The model types of SCv2's k6 suite (tests/k6/components/model.js): the model resource each
// one creates (section 4.1 of the suite's specification) and the inference payloads it is sent
// (section 4.2), where inferload departs from the suite only as docs/payloads.md lists.
#include <cstdint>
#include <string>
#include <vector>

#include "inferload/oip/grpc_request.hpp"

namespace inferload::scv2 {

using GrpcEncoding = oip::GrpcEncoding;

// Every MODEL_TYPE the suite knows, in its catalogue order.
const std::vector<std::string>& known_model_types();

// Throws std::invalid_argument naming MODEL_TYPE and the known types when `type` is not one.
void check_model_type(const std::string& type);

// What the suite's catalogue puts into a model's spec before the scenario overrides anything.
struct ModelSpecDefaults {
  std::string uri;                        // storageUri
  std::vector<std::string> requirements;  // matched against the servers' capabilities
  // The catalogue's memory, which the suite uses only when the caller gives none: its
  // data-plane scenarios always pass MODEL_MEMORY_BYTES (default 0), its pipeline ones nothing.
  std::uint64_t default_memory_bytes = 0;
};

// The catalogue entry of `type`. A type with several copies of its model in storage (iris,
// gs://seldon-models/testing/iris0 .. iris9) gets the copy `uri_offset mod` their count; the
// suite passes 1 from its setup and the VU's id from load_predict_unload and experiment.
// Throws std::invalid_argument naming MODEL_TYPE for an unknown type, and for a negative
// `uri_offset` (whose copy would not exist) a message naming the offset.
ModelSpecDefaults model_spec(const std::string& type, int uri_offset);

// The REST (V2 JSON) request body for `type` at batch size `batch`, as the suite sends it.
// Throws std::invalid_argument naming MODEL_TYPE for a type the suite does not know.
std::string rest_payload(const std::string& type, int batch);

// Whether inferload has a gRPC payload for `type`: every known type. The suite's own gRPC
// payloads for add10, echo and synth cannot be sent, so those three are inferload's.
bool has_grpc_payload(const std::string& type);

// The serialized inference.ModelInferRequest for `type` at batch size `batch`, addressed to
// `model_name`: the REST payload's tensors, except where the suite's gRPC form differs (iris's
// input is named "input"; tfsimple_string carries the byte "1"; synth's input, nameless in
// REST, is named "input_1"), with each input's data where `encoding` says. Throws
// std::invalid_argument naming MODEL_TYPE for an unknown type.
std::string grpc_payload(const std::string& type, const std::string& model_name, int batch,
                         GrpcEncoding encoding = GrpcEncoding::contents);

}  // namespace inferload::scv2
