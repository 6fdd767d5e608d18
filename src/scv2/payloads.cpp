// The payloads half of the catalogue's interface; the model specs are in catalogue.cpp.
#include "inferload/scv2/catalogue.hpp"

#include <cstdint>
#include <utility>
#include <variant>

#include "inferload/oip/json_text.hpp"
#include "inferload/oip/rest_request.hpp"

namespace inferload::scv2 {
namespace {

using oip::Tensor;

std::vector<std::int64_t> counting(std::int64_t n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

Tensor fp32_filled(std::string name, std::vector<std::int64_t> shape, double value) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return Tensor{std::move(name), std::move(shape), "FP32", std::vector<double>(static_cast<std::size_t>(n), value)};
}

// One model type's inputs, described once for both protocols.
struct Inputs {
  std::vector<Tensor> tensors;
  std::vector<std::pair<std::string, std::string>> string_parameters;  // request-level
};

// The suite's REST payloads (section 4.2), which the gRPC ones start from.
Inputs model_inputs(const std::string& type, int batch) {
  check_model_type(type);
  const std::int64_t b = batch;
  if (type == "tfsimple") {
    const Tensor t{"INPUT0", {b, 16}, "INT32", counting(16 * b)};
    Tensor t1 = t;
    t1.name = "INPUT1";
    return {{t, t1}, {}};
  }
  if (type == "tfsimple_string") {
    const Tensor t{"INPUT0", {b, 16}, "BYTES", std::vector<std::string>(static_cast<std::size_t>(16 * b), "97")};
    Tensor t1 = t;
    t1.name = "INPUT1";
    return {{t, t1}, {}};
  }
  if (type == "iris") {
    std::vector<double> data;
    for (std::int64_t i = 0; i < 4 * b; ++i) data.push_back(static_cast<double>(i));
    Tensor t{"predict", {b, 4}, "FP32", std::move(data)};
    t.wrap_data = true;  // the suite's iris REST payload nests the flat list once more
    return {{t}, {}};
  }
  if (type == "pytorch_cifar10") return {{fp32_filled("input__0", {b, 3, 32, 32}, 0.1)}, {}};
  if (type == "tfmnist") return {{fp32_filled("conv2d_input", {b, 28, 28, 1}, 0.1)}, {}};
  if (type == "tfresnet152") return {{fp32_filled("input_1", {b, 224, 224, 3}, 0.1)}, {}};
  if (type == "onnx_gpt2") {
    const std::vector<std::int64_t> ones(static_cast<std::size_t>(10 * b), 1);
    return {{Tensor{"input_ids", {b, 10}, "INT32", ones}, Tensor{"attention_mask", {b, 10}, "INT32", ones}}, {}};
  }
  if (type == "add10") return {{fp32_filled("INPUT", {4}, 0.1)}, {}};  // batch ignored
  if (type == "mlflow_wine") {
    Inputs in;
    for (const char* name : {"fixed acidity", "volatile acidity", "citric acidity", "residual sugar", "chlorides",
                             "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates", "alcohol"}) {
      in.tensors.push_back(fp32_filled(name, {1}, 1));
    }
    in.string_parameters = {{"content_type", "pd"}};
    return in;
  }
  if (type == "sentiment") {
    return {{Tensor{"args", {b}, "BYTES", std::vector<std::string>(static_cast<std::size_t>(b), "this is a cool test")}},
            {}};
  }
  if (type == "echo") return {{Tensor{"predict", {1}, "BYTES", std::vector<std::string>{"hello"}}}, {}};
  // The suite's synth REST input has no name (the "name" member is left out).
  return {{Tensor{"", {1}, "BYTES", std::vector<std::string>{"h"}}}, {}};
}

}  // namespace

std::string rest_payload(const std::string& type, int batch) {
  const Inputs in = model_inputs(type, batch);
  std::string parameters;
  for (const auto& [key, value] : in.string_parameters) {
    parameters += parameters.empty() ? '{' : ',';
    oip::append_json_string(parameters, key);
    parameters += ':';
    oip::append_json_string(parameters, value);
  }
  if (!parameters.empty()) parameters += '}';
  return oip::encode_rest_request(in.tensors, parameters);
}

bool has_grpc_payload(const std::string& type) {
  for (const auto& t : known_model_types()) {
    if (t == type) return true;
  }
  return false;
}

std::string grpc_payload(const std::string& type, const std::string& model_name, int batch, GrpcEncoding encoding) {
  Inputs in = model_inputs(type, batch);
  // Where the suite's gRPC payload departs from its REST one and can be sent, follow the gRPC one.
  if (type == "iris") in.tensors[0].name = "input";
  if (type == "tfsimple_string") {
    for (auto& t : in.tensors) t.data = std::vector<std::string>(std::get<std::vector<std::string>>(t.data).size(), "1");
  }
  // A V2 input must have a name, and proto3 cannot leave one out as JSON can: synth's is the
  // one the suite's gRPC form gives it. add10's and echo's REST tensors stand as they are
  // (docs/payloads.md says why).
  if (type == "synth") in.tensors[0].name = "input_1";
  return oip::encode_grpc_request(model_name, in.tensors, in.string_parameters, encoding);
}

}  // namespace inferload::scv2
