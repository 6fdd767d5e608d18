#pragma once
// Open Inference Protocol (KServe V2) inference requests in their protobuf (gRPC) form: a
// serialized inference.ModelInferRequest, encoded once per payload at plan time.
#include <string>
#include <utility>
#include <vector>

#include "inferload/oip/rest_request.hpp"

namespace inferload::oip {

// Where a request's tensor data travels. The k6 suite only ever sends `contents`; `raw` is what
// Triton-style clients send, and lets a server skip decoding one protobuf field per element.
enum class GrpcEncoding {
  contents,  // each input's InferTensorContents field of its datatype
  raw,       // ModelInferRequest.raw_input_contents, one entry per input, no contents
};

// A ModelInferRequest for `model_name` carrying `inputs`, with `string_parameters` as
// request-level string_param entries. `wrap_data` does not apply: protobuf data is always flat.
// Raw data is little-endian and row-major; a BYTES element is its length as a little-endian
// uint32 followed by its bytes.
// Throws std::invalid_argument naming the tensor when its data does not fit its datatype (FP16
// is not supported; strings are only for BYTES; an integer outside the datatype's range) or its
// element count differs from its shape.
std::string encode_grpc_request(const std::string& model_name, const std::vector<Tensor>& inputs,
                                const std::vector<std::pair<std::string, std::string>>& string_parameters = {},
                                GrpcEncoding encoding = GrpcEncoding::contents);

}  // namespace inferload::oip
