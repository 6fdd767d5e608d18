#pragma once
// Open Inference Protocol (KServe V2) inference requests in their JSON (REST) form, encoded once
// per payload and shared by every request that carries it.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace inferload::oip {

struct Tensor {
  std::string name;  // empty: the "name" member is left out (the SCv2 synth payload does that)
  std::vector<std::int64_t> shape;
  std::string datatype;  // INT32, FP32, BYTES, ...
  // Row-major data; BYTES tensors carry strings.
  std::variant<std::vector<std::int64_t>, std::vector<double>, std::vector<std::string>> data;
  bool wrap_data = false;  // "data": [[...]] instead of [...] (the SCv2 iris REST payload)
};

// {"inputs":[{"name":..,"shape":[..],"datatype":..,"data":[..]},..]} plus `parameters_json` (a
// JSON object text) as "parameters" when not empty. Numbers are written as JavaScript's
// JSON.stringify writes them, so bodies match what the k6 suite sent byte for byte.
std::string encode_rest_request(const std::vector<Tensor>& inputs, const std::string& parameters_json = {});

}  // namespace inferload::oip
