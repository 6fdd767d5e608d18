// The catalogue and its payloads held to the suite's tables (sections 4.1 and 4.2), written out
// here a second time rather than taken from src/scv2: every type at batch sizes 1 and 3, its REST
// body read back with simdjson, its gRPC bodies with the classes protoc generates, and the raw
// form's bytes decoded back to values.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <simdjson.h>

#include "inference.pb.h"
#include "inferload/scv2/catalogue.hpp"

namespace sj = simdjson;
using namespace inferload;

namespace {

const std::vector<std::string> kTypes = {"tfsimple",  "tfsimple_string", "iris",        "pytorch_cifar10",
                                         "tfmnist",   "tfresnet152",     "onnx_gpt2",   "mlflow_wine",
                                         "add10",     "sentiment",       "echo",        "synth"};

enum class Protocol { rest, grpc };

struct ExpectedTensor {
  std::string name;  // empty: no name at all (synth over REST)
  std::string datatype;
  std::vector<std::int64_t> shape;
  std::vector<double> numbers;       // INT32 and FP32
  std::vector<std::string> strings;  // BYTES
};

struct ExpectedRequest {
  std::vector<ExpectedTensor> inputs;
  bool content_type_pd = false;  // request-level parameters {"content_type": "pd"}
  bool nested_data = false;      // REST "data": [[...]]
};

// `elements` is the table's "elements per input" column, checked against the shape so that a
// slip in copying either shows.
ExpectedTensor numbers(std::string name, std::string datatype, std::vector<std::int64_t> shape, std::int64_t elements,
                       double fill, bool counting = false) {
  std::int64_t product = 1;
  for (auto d : shape) product *= d;
  EXPECT_EQ(product, elements) << name;
  ExpectedTensor t{std::move(name), std::move(datatype), std::move(shape), {}, {}};
  for (std::int64_t i = 0; i < elements; ++i) t.numbers.push_back(counting ? static_cast<double>(i) : fill);
  return t;
}

ExpectedTensor strings(std::string name, std::vector<std::int64_t> shape, std::int64_t elements, const std::string& s) {
  return ExpectedTensor{std::move(name), "BYTES", std::move(shape), {},
                        std::vector<std::string>(static_cast<std::size_t>(elements), s)};
}

ExpectedRequest expected(const std::string& type, std::int64_t b, Protocol p) {
  const bool rest = p == Protocol::rest;
  if (type == "tfsimple") {
    return {{numbers("INPUT0", "INT32", {b, 16}, 16 * b, 0, true), numbers("INPUT1", "INT32", {b, 16}, 16 * b, 0, true)}};
  }
  if (type == "tfsimple_string") {
    const std::string v = rest ? "97" : "1";
    return {{strings("INPUT0", {b, 16}, 16 * b, v), strings("INPUT1", {b, 16}, 16 * b, v)}};
  }
  if (type == "iris") return {{numbers(rest ? "predict" : "input", "FP32", {b, 4}, 4 * b, 0, true)}, false, rest};
  if (type == "pytorch_cifar10") return {{numbers("input__0", "FP32", {b, 3, 32, 32}, 3072 * b, 0.1)}};
  if (type == "tfmnist") return {{numbers("conv2d_input", "FP32", {b, 28, 28, 1}, 784 * b, 0.1)}};
  if (type == "tfresnet152") return {{numbers("input_1", "FP32", {b, 224, 224, 3}, 150528 * b, 0.1)}};
  if (type == "onnx_gpt2") {
    return {{numbers("input_ids", "INT32", {b, 10}, 10 * b, 1), numbers("attention_mask", "INT32", {b, 10}, 10 * b, 1)}};
  }
  if (type == "add10") return {{numbers("INPUT", "FP32", {4}, 4, 0.1)}};
  if (type == "mlflow_wine") {
    ExpectedRequest r;
    for (const char* name : {"fixed acidity", "volatile acidity", "citric acidity", "residual sugar", "chlorides",
                             "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates", "alcohol"}) {
      r.inputs.push_back(numbers(name, "FP32", {1}, 1, 1));
    }
    r.content_type_pd = true;
    return r;
  }
  if (type == "sentiment") return {{strings("args", {b}, b, "this is a cool test")}};
  if (type == "echo") return {{strings("predict", {1}, 1, "hello")}};
  if (type == "synth") return {{strings(rest ? "" : "input_1", {1}, 1, "h")}};
  ADD_FAILURE() << "no expectation for " << type;
  return {};
}

std::set<std::string> keys_of(sj::dom::object o) {
  std::set<std::string> k;
  for (const auto field : o) k.insert(std::string(field.key));
  return k;
}

void expect_rest(const std::string& type, int batch) {
  SCOPED_TRACE("REST " + type + " at batch " + std::to_string(batch));
  const ExpectedRequest want = expected(type, batch, Protocol::rest);
  sj::dom::parser parser;
  // simdjson's DOM throws on any error, which fails the test with its reason.
  const sj::dom::object body = parser.parse(scv2::rest_payload(type, batch));

  const std::set<std::string> members =
      want.content_type_pd ? std::set<std::string>{"inputs", "parameters"} : std::set<std::string>{"inputs"};
  EXPECT_EQ(keys_of(body), members);
  if (want.content_type_pd) {
    const sj::dom::object parameters = body["parameters"];
    EXPECT_EQ(keys_of(parameters), std::set<std::string>{"content_type"});
    EXPECT_EQ(std::string_view(parameters["content_type"]), "pd");
  }

  const sj::dom::array inputs = body["inputs"];
  ASSERT_EQ(inputs.size(), want.inputs.size());
  std::size_t i = 0;
  for (const sj::dom::object in : inputs) {
    const ExpectedTensor& w = want.inputs[i++];
    std::set<std::string> members = {"shape", "datatype", "data"};
    if (!w.name.empty()) members.insert("name");
    EXPECT_EQ(keys_of(in), members);
    if (!w.name.empty()) {
      EXPECT_EQ(std::string_view(in["name"]), w.name);
    }
    EXPECT_EQ(std::string_view(in["datatype"]), w.datatype);
    const sj::dom::array shape = in["shape"];
    ASSERT_EQ(shape.size(), w.shape.size());
    std::size_t d = 0;
    for (const std::int64_t dim : shape) EXPECT_EQ(dim, w.shape[d++]);

    sj::dom::array data = in["data"];
    if (want.nested_data) {
      ASSERT_EQ(data.size(), 1u);
      data = data.at(0);
    }
    if (w.datatype == "BYTES") {
      ASSERT_EQ(data.size(), w.strings.size());
      std::size_t k = 0;
      for (const std::string_view v : data) EXPECT_EQ(v, w.strings[k++]);
    } else {
      ASSERT_EQ(data.size(), w.numbers.size());
      std::size_t k = 0;
      for (const sj::dom::element v : data) {
        ASSERT_TRUE(v.is_number()) << k;
        EXPECT_EQ(double(v), w.numbers[k]) << k;
        if (w.datatype == "INT32") {
          EXPECT_TRUE(v.is_int64()) << k;
        }
        ++k;
      }
    }
  }
}

inference::ModelInferRequest parse(const std::string& bytes) {
  inference::ModelInferRequest req;
  EXPECT_TRUE(req.ParseFromString(bytes));
  return req;
}

// Everything but the data: the same for both gRPC encodings.
void expect_grpc_frame(const inference::ModelInferRequest& req, const ExpectedRequest& want, const std::string& name) {
  EXPECT_EQ(req.model_name(), name);
  EXPECT_EQ(req.model_version(), "");
  EXPECT_EQ(req.id(), "");
  EXPECT_EQ(req.outputs_size(), 0);
  if (want.content_type_pd) {
    ASSERT_EQ(req.parameters_size(), 1);
    const auto it = req.parameters().find("content_type");
    ASSERT_NE(it, req.parameters().end());
    EXPECT_EQ(it->second.parameter_choice_case(), inference::InferParameter::kStringParam);
    EXPECT_EQ(it->second.string_param(), "pd");
  } else {
    EXPECT_EQ(req.parameters_size(), 0);
  }
  ASSERT_EQ(static_cast<std::size_t>(req.inputs_size()), want.inputs.size());
  for (int i = 0; i < req.inputs_size(); ++i) {
    const auto& in = req.inputs(i);
    const ExpectedTensor& w = want.inputs[static_cast<std::size_t>(i)];
    EXPECT_EQ(in.name(), w.name);
    EXPECT_EQ(in.datatype(), w.datatype);
    EXPECT_EQ(std::vector<std::int64_t>(in.shape().begin(), in.shape().end()), w.shape);
    EXPECT_EQ(in.parameters_size(), 0);
  }
}

std::size_t contents_count(const inference::InferTensorContents& c) {
  return static_cast<std::size_t>(c.bool_contents_size() + c.int_contents_size() + c.int64_contents_size() +
                                  c.uint_contents_size() + c.uint64_contents_size() + c.fp32_contents_size() +
                                  c.fp64_contents_size() + c.bytes_contents_size());
}

// The data of one input as typed contents, in the one field its datatype has.
void expect_contents(const inference::ModelInferRequest::InferInputTensor& in, const ExpectedTensor& w) {
  const auto& c = in.contents();
  if (w.datatype == "INT32") {
    ASSERT_EQ(static_cast<std::size_t>(c.int_contents_size()), w.numbers.size());
    for (std::size_t k = 0; k < w.numbers.size(); ++k) EXPECT_EQ(c.int_contents(static_cast<int>(k)), w.numbers[k]);
  } else if (w.datatype == "FP32") {
    ASSERT_EQ(static_cast<std::size_t>(c.fp32_contents_size()), w.numbers.size());
    for (std::size_t k = 0; k < w.numbers.size(); ++k) {
      EXPECT_EQ(c.fp32_contents(static_cast<int>(k)), static_cast<float>(w.numbers[k]));
    }
  } else {
    ASSERT_EQ(static_cast<std::size_t>(c.bytes_contents_size()), w.strings.size());
    for (std::size_t k = 0; k < w.strings.size(); ++k) EXPECT_EQ(c.bytes_contents(static_cast<int>(k)), w.strings[k]);
  }
  EXPECT_EQ(contents_count(c), w.datatype == "BYTES" ? w.strings.size() : w.numbers.size()) << "data in other fields";
}

std::uint32_t little_endian_u32(const std::string& raw, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{static_cast<unsigned char>(raw[at + i])} << (8 * i);
  return v;
}

// Raw contents decoded back into the typed fields they replace, so both forms compare alike.
inference::InferTensorContents decode_raw(const std::string& datatype, const std::string& raw) {
  inference::InferTensorContents c;
  if (datatype == "BYTES") {
    std::size_t at = 0;
    while (at < raw.size()) {
      EXPECT_LE(at + 4, raw.size()) << "a length prefix is cut off";
      if (at + 4 > raw.size()) break;
      const std::uint32_t len = little_endian_u32(raw, at);
      at += 4;
      EXPECT_LE(at + len, raw.size()) << "an element is cut off";
      if (at + len > raw.size()) break;
      c.add_bytes_contents(raw.substr(at, len));
      at += len;
    }
    return c;
  }
  EXPECT_EQ(raw.size() % 4, 0u);
  for (std::size_t at = 0; at + 4 <= raw.size(); at += 4) {
    const std::uint32_t bits = little_endian_u32(raw, at);
    if (datatype == "INT32") c.add_int_contents(static_cast<std::int32_t>(bits));
    else if (datatype == "FP32") c.add_fp32_contents(std::bit_cast<float>(bits));
    else ADD_FAILURE() << "no raw decoder for " << datatype;
  }
  return c;
}

void expect_grpc(const std::string& type, int batch) {
  SCOPED_TRACE("gRPC " + type + " at batch " + std::to_string(batch));
  const ExpectedRequest want = expected(type, batch, Protocol::grpc);
  const std::string name = type + "-3";

  const inference::ModelInferRequest typed = parse(scv2::grpc_payload(type, name, batch));
  expect_grpc_frame(typed, want, name);
  EXPECT_EQ(typed.raw_input_contents_size(), 0);
  for (int i = 0; i < typed.inputs_size(); ++i) expect_contents(typed.inputs(i), want.inputs[static_cast<std::size_t>(i)]);

  const inference::ModelInferRequest raw = parse(scv2::grpc_payload(type, name, batch, scv2::GrpcEncoding::raw));
  expect_grpc_frame(raw, want, name);
  ASSERT_EQ(raw.raw_input_contents_size(), raw.inputs_size());
  for (int i = 0; i < raw.inputs_size(); ++i) {
    SCOPED_TRACE("raw input " + std::to_string(i));
    EXPECT_FALSE(raw.inputs(i).has_contents());
    const inference::InferTensorContents decoded = decode_raw(raw.inputs(i).datatype(), raw.raw_input_contents(i));
    EXPECT_EQ(decoded.SerializeAsString(), typed.inputs(i).contents().SerializeAsString());
    inference::ModelInferRequest::InferInputTensor as_typed = raw.inputs(i);
    *as_typed.mutable_contents() = decoded;
    expect_contents(as_typed, want.inputs[static_cast<std::size_t>(i)]);
  }
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Catalogue, KnowsTheSuitesTypesInItsOrder) { EXPECT_EQ(scv2::known_model_types(), kTypes); }

TEST(Catalogue, EveryTypesStorageRequirementsAndMemory) {
  struct Entry {
    const char* type;
    const char* uri;
    std::vector<std::string> requirements;
  };
  const std::vector<Entry> table = {
      {"tfsimple", "gs://seldon-models/triton/simple", {"tensorflow"}},
      {"tfsimple_string", "gs://seldon-models/triton/tf_simple_string", {"tensorflow"}},
      {"iris", "gs://seldon-models/testing/iris1", {"sklearn"}},
      {"pytorch_cifar10", "gs://seldon-models/triton/pytorch_cifar10/cifar10", {"pytorch"}},
      {"tfmnist", "gs://seldon-models/triton/tf_mnist", {"tensorflow"}},
      {"tfresnet152", "gs://seldon-models/triton/tf_resnet152", {"tensorflow"}},
      {"onnx_gpt2", "gs://seldon-models/triton/onnx_gpt2/gpt2", {"onnx"}},
      {"mlflow_wine", "gs://seldon-models/mlflow/elasticnet_wine_model_mlserver_1_1", {"mlflow"}},
      {"add10", "gs://seldon-models/triton/add10", {"tensorflow", "python"}},
      {"sentiment", "gs://seldon-models/mlserver/huggingface/sentiment", {"huggingface"}},
      {"echo", "gs://seldon-models/integration-tests/models/mlserver/echo", {"mlserver"}},
      {"synth", "gs://seldon-models/integration-tests/models/mlserver/reference-workload-model", {"mlserver"}},
  };
  ASSERT_EQ(table.size(), kTypes.size());
  for (const Entry& e : table) {
    SCOPED_TRACE(e.type);
    const scv2::ModelSpecDefaults spec = scv2::model_spec(e.type, 1);  // the offset the suite's setup passes
    EXPECT_EQ(spec.uri, e.uri);
    EXPECT_EQ(spec.requirements, e.requirements);
    EXPECT_EQ(spec.default_memory_bytes, 20000u);
  }
}

TEST(Catalogue, OnlyIrisTakesTheOffsetModuloTenAsItsSuffix) {
  EXPECT_EQ(scv2::model_spec("iris", 0).uri, "gs://seldon-models/testing/iris0");
  EXPECT_EQ(scv2::model_spec("iris", 1).uri, "gs://seldon-models/testing/iris1");
  EXPECT_EQ(scv2::model_spec("iris", 9).uri, "gs://seldon-models/testing/iris9");
  EXPECT_EQ(scv2::model_spec("iris", 10).uri, "gs://seldon-models/testing/iris0");
  EXPECT_EQ(scv2::model_spec("iris", 11).uri, "gs://seldon-models/testing/iris1");
  EXPECT_EQ(scv2::model_spec("iris", 2147483647).uri, "gs://seldon-models/testing/iris7");
  for (const auto& type : kTypes) {
    if (type == "iris") continue;
    EXPECT_EQ(scv2::model_spec(type, 11).uri, scv2::model_spec(type, 0).uri) << type;
  }
}

TEST(Catalogue, UnknownTypesAndNegativeOffsetsAreRefused) {
  EXPECT_EQ(message_of([] { scv2::model_spec("resnet", 1); }).rfind("MODEL_TYPE: unknown model type \"resnet\"", 0), 0u);
  EXPECT_EQ(message_of([] { scv2::model_spec("", 1); }).rfind("MODEL_TYPE: ", 0), 0u);
  EXPECT_EQ(message_of([] { scv2::model_spec("Iris", 1); }).rfind("MODEL_TYPE: ", 0), 0u);
  EXPECT_NE(message_of([] { scv2::model_spec("iris", -1); }).find("-1"), std::string::npos);
  EXPECT_THROW(scv2::check_model_type("tfsimple "), std::invalid_argument);
  EXPECT_NO_THROW(scv2::check_model_type("synth"));
}

TEST(CataloguePayloads, EveryTypeOverRestAsTheTableHasIt) {
  for (const auto& type : kTypes) {
    expect_rest(type, 1);
    expect_rest(type, 3);
  }
}

TEST(CataloguePayloads, EveryTypeOverGrpcInContentsAndRaw) {
  for (const auto& type : kTypes) {
    EXPECT_TRUE(scv2::has_grpc_payload(type)) << type;
    expect_grpc(type, 1);
    expect_grpc(type, 3);
  }
  EXPECT_FALSE(scv2::has_grpc_payload("nope"));
  EXPECT_EQ(message_of([] { scv2::grpc_payload("nope", "m", 1, scv2::GrpcEncoding::raw); }).rfind("MODEL_TYPE: ", 0), 0u);
}

TEST(CataloguePayloads, RawBytesAreLittleEndianWithLengthPrefixedStrings) {
  // Spelt out byte by byte, so a decoder that mirrored an encoder's mistake could not pass.
  const auto echo = parse(scv2::grpc_payload("echo", "e", 1, scv2::GrpcEncoding::raw));
  EXPECT_EQ(echo.raw_input_contents(0), std::string("\x05\x00\x00\x00hello", 9));
  const auto add10 = parse(scv2::grpc_payload("add10", "a", 1, scv2::GrpcEncoding::raw));
  EXPECT_EQ(add10.raw_input_contents(0), std::string("\xcd\xcc\xcc\x3d\xcd\xcc\xcc\x3d\xcd\xcc\xcc\x3d\xcd\xcc\xcc\x3d", 16));
  const auto tf = parse(scv2::grpc_payload("tfsimple", "t", 1, scv2::GrpcEncoding::raw));
  EXPECT_EQ(tf.raw_input_contents(1).substr(0, 12), std::string("\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00", 12));
  EXPECT_EQ(tf.raw_input_contents(1).size(), 64u);
}
