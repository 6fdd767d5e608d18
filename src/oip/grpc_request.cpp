#include "inferload/oip/grpc_request.hpp"

#include <bit>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <variant>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "inference.pb.h"

namespace inferload::oip {
namespace {

[[noreturn]] void mismatch(const Tensor& t, const std::string& why) {
  throw std::invalid_argument("gRPC tensor \"" + t.name + "\" (" + t.datatype + "): " + why);
}

struct IntegerType {
  std::string_view datatype;
  int raw_width;  // bytes per element in raw contents
  std::int64_t min;
  std::int64_t max;
};

template <typename T>
constexpr IntegerType integer_type(std::string_view datatype) {
  return {datatype, static_cast<int>(sizeof(T)), static_cast<std::int64_t>(std::numeric_limits<T>::min()),
          static_cast<std::int64_t>(std::numeric_limits<T>::max())};
}

// UINT64 stops at INT64's maximum only because a Tensor holds its integers as int64.
constexpr IntegerType kIntegerTypes[] = {
    {"BOOL", 1, 0, 1},
    integer_type<std::int8_t>("INT8"),
    integer_type<std::int16_t>("INT16"),
    integer_type<std::int32_t>("INT32"),
    integer_type<std::int64_t>("INT64"),
    integer_type<std::uint8_t>("UINT8"),
    integer_type<std::uint16_t>("UINT16"),
    integer_type<std::uint32_t>("UINT32"),
    {"UINT64", 8, 0, std::numeric_limits<std::int64_t>::max()},
};

// A value the datatype cannot hold would be wrapped silently by either encoding, so the server
// would get other numbers than the payload describes.
const IntegerType& checked_integers(const Tensor& t, const std::vector<std::int64_t>& v) {
  for (const IntegerType& type : kIntegerTypes) {
    if (type.datatype != t.datatype) continue;
    for (auto x : v) {
      if (x < type.min || x > type.max) mismatch(t, std::to_string(x) + " is outside the datatype's range");
    }
    return type;
  }
  mismatch(t, "integer data needs an integer or BOOL datatype");
}

void check_reals(const Tensor& t) {
  // FP16 lands here too: the protocol gives it no typed field, and inferload does not convert
  // reals to half precision for raw contents.
  if (t.datatype != "FP32" && t.datatype != "FP64") mismatch(t, "real data needs FP32 or FP64");
}

void check_strings(const Tensor& t, const std::vector<std::string>& v) {
  if (t.datatype != "BYTES") mismatch(t, "string data needs BYTES");
  for (const auto& x : v) {
    if (x.size() > std::numeric_limits<std::uint32_t>::max()) mismatch(t, "an element is longer than 4 GiB - 1");
  }
}

void fill_contents(const Tensor& t, inference::InferTensorContents& c) {
  const std::string& d = t.datatype;
  if (const auto* v = std::get_if<std::vector<std::int64_t>>(&t.data)) {
    checked_integers(t, *v);
    for (auto x : *v) {
      if (d == "INT64") c.add_int64_contents(x);
      else if (d == "UINT64") c.add_uint64_contents(static_cast<std::uint64_t>(x));
      else if (d == "BOOL") c.add_bool_contents(x != 0);
      else if (d.starts_with("UINT")) c.add_uint_contents(static_cast<std::uint32_t>(x));
      else c.add_int_contents(static_cast<std::int32_t>(x));
    }
  } else if (const auto* r = std::get_if<std::vector<double>>(&t.data)) {
    check_reals(t);
    for (auto x : *r) {
      if (d == "FP32") c.add_fp32_contents(static_cast<float>(x));
      else c.add_fp64_contents(x);
    }
  } else {
    const auto& s = std::get<std::vector<std::string>>(t.data);
    check_strings(t, s);
    for (const auto& x : s) c.add_bytes_contents(x);
  }
}

void append_little_endian(std::string& out, std::uint64_t bits, int width) {
  for (int i = 0; i < width; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

// Byte shifts, not memcpy, so the bytes are little-endian whatever the host's order.
std::string raw_contents(const Tensor& t) {
  std::string out;
  if (const auto* v = std::get_if<std::vector<std::int64_t>>(&t.data)) {
    const IntegerType& type = checked_integers(t, *v);
    out.reserve(v->size() * static_cast<std::size_t>(type.raw_width));
    for (auto x : *v) append_little_endian(out, static_cast<std::uint64_t>(x), type.raw_width);
  } else if (const auto* r = std::get_if<std::vector<double>>(&t.data)) {
    check_reals(t);
    const bool fp32 = t.datatype == "FP32";
    out.reserve(r->size() * (fp32 ? 4 : 8));
    for (auto x : *r) {
      if (fp32) append_little_endian(out, std::bit_cast<std::uint32_t>(static_cast<float>(x)), 4);
      else append_little_endian(out, std::bit_cast<std::uint64_t>(x), 8);
    }
  } else {
    const auto& s = std::get<std::vector<std::string>>(t.data);
    check_strings(t, s);
    for (const auto& x : s) {
      append_little_endian(out, x.size(), 4);
      out += x;
    }
  }
  return out;
}

}  // namespace

std::string encode_grpc_request(const std::string& model_name, const std::vector<Tensor>& inputs,
                                const std::vector<std::pair<std::string, std::string>>& string_parameters,
                                GrpcEncoding encoding) {
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
    if (encoding == GrpcEncoding::raw) req.add_raw_input_contents(raw_contents(t));
    else fill_contents(t, *in->mutable_contents());
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
