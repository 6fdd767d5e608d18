#include "inferload/oip/grpc_request.hpp"

#include <cstdint>
#include <stdexcept>
#include <variant>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "inference.pb.h"

namespace inferload::oip {
namespace {

[[noreturn]] void mismatch(const Tensor& t, const char* why) {
  throw std::invalid_argument("gRPC tensor \"" + t.name + "\" (" + t.datatype + "): " + why);
}

void fill_integers(const Tensor& t, const std::vector<std::int64_t>& v, inference::InferTensorContents& c) {
  const std::string& d = t.datatype;
  if (d == "INT8" || d == "INT16" || d == "INT32") {
    for (auto x : v) c.add_int_contents(static_cast<std::int32_t>(x));
  } else if (d == "INT64") {
    for (auto x : v) c.add_int64_contents(x);
  } else if (d == "UINT8" || d == "UINT16" || d == "UINT32") {
    for (auto x : v) c.add_uint_contents(static_cast<std::uint32_t>(x));
  } else if (d == "UINT64") {
    for (auto x : v) c.add_uint64_contents(static_cast<std::uint64_t>(x));
  } else if (d == "BOOL") {
    for (auto x : v) c.add_bool_contents(x != 0);
  } else {
    mismatch(t, "integer data needs an integer or BOOL datatype");
  }
}

void fill_reals(const Tensor& t, const std::vector<double>& v, inference::InferTensorContents& c) {
  if (t.datatype == "FP32") {
    for (auto x : v) c.add_fp32_contents(static_cast<float>(x));
  } else if (t.datatype == "FP64") {
    for (auto x : v) c.add_fp64_contents(x);
  } else {
    // FP16 lands here too: the protocol gives it no typed field, only raw contents.
    mismatch(t, "real data needs FP32 or FP64");
  }
}

void fill_strings(const Tensor& t, const std::vector<std::string>& v, inference::InferTensorContents& c) {
  if (t.datatype != "BYTES") mismatch(t, "string data needs BYTES");
  for (const auto& x : v) c.add_bytes_contents(x);
}

}  // namespace

std::string encode_grpc_request(const std::string& model_name, const std::vector<Tensor>& inputs,
                                const std::vector<std::pair<std::string, std::string>>& string_parameters) {
  inference::ModelInferRequest req;
  req.set_model_name(model_name);
  for (const auto& [key, value] : string_parameters) (*req.mutable_parameters())[key].set_string_param(value);
  for (const Tensor& t : inputs) {
    std::size_t elements = 1;
    for (auto d : t.shape) elements *= static_cast<std::size_t>(d);
    const std::size_t have = std::visit([](const auto& v) { return v.size(); }, t.data);
    // A server rejects the mismatch anyway; failing at plan time names the tensor at fault.
    if (have != elements) mismatch(t, "element count differs from the shape");

    auto* in = req.add_inputs();
    in->set_name(t.name);
    in->set_datatype(t.datatype);
    for (auto d : t.shape) in->add_shape(d);
    auto* c = in->mutable_contents();
    if (const auto* i = std::get_if<std::vector<std::int64_t>>(&t.data)) fill_integers(t, *i, *c);
    else if (const auto* r = std::get_if<std::vector<double>>(&t.data)) fill_reals(t, *r, *c);
    else fill_strings(t, std::get<std::vector<std::string>>(t.data), *c);
  }
  // Deterministic so that the same payload is byte-identical across runs and pods (map order).
  std::string out;
  google::protobuf::io::StringOutputStream raw(&out);
  {
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    req.SerializeToCodedStream(&coded);
  }
  return out;
}

}  // namespace inferload::oip
