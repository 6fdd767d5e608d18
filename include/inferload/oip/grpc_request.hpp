#pragma once
// Open Inference Protocol (KServe V2) inference requests in their protobuf (gRPC) form: a
// serialized inference.ModelInferRequest, encoded once per payload at plan time.
#include <string>
#include <utility>
#include <vector>

#include "inferload/oip/rest_request.hpp"

namespace inferload::oip {

// A ModelInferRequest for `model_name` carrying `inputs` in their typed `contents` (never
// raw_input_contents, which the k6 suite never sends), with `string_parameters` as request-level
// string_param entries. `wrap_data` does not apply: protobuf contents are always flat.
// Throws std::invalid_argument when a tensor's data does not fit its datatype's contents field
// (FP16 has none; strings are only for BYTES) or its element count differs from its shape.
std::string encode_grpc_request(const std::string& model_name, const std::vector<Tensor>& inputs,
                                const std::vector<std::pair<std::string, std::string>>& string_parameters = {});

}  // namespace inferload::oip
