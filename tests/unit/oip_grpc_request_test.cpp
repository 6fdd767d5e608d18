// The gRPC payloads are checked against the REST ones through independent decoders (protobuf's
// generated parser, Boost.JSON), so both encoders are held to the same tensors.
#include <gtest/gtest.h>

#include <boost/json/src.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "inference.pb.h"
#include "inferload/oip/grpc_request.hpp"
#include "inferload/scv2/catalogue.hpp"

namespace json = boost::json;
using namespace inferload;

namespace {

inference::ModelInferRequest parse(const std::string& bytes) {
  inference::ModelInferRequest req;
  EXPECT_TRUE(req.ParseFromString(bytes));
  return req;
}

// The iris REST payload nests its data once more; the comparison is on the flat row-major list.
void flatten(const json::value& v, std::vector<json::value>& out) {
  if (v.is_array()) {
    for (const auto& e : v.as_array()) flatten(e, out);
  } else {
    out.push_back(v);
  }
}

void expect_same_tensors(const std::string& type, int batch) {
  SCOPED_TRACE(type + " at batch " + std::to_string(batch));
  const inference::ModelInferRequest req = parse(scv2::grpc_payload(type, type + "-7", batch));
  const json::object rest = json::parse(scv2::rest_payload(type, batch)).as_object();
  EXPECT_EQ(req.model_name(), type + "-7");
  EXPECT_EQ(req.raw_input_contents_size(), 0);

  const json::array& inputs = rest.at("inputs").as_array();
  ASSERT_EQ(static_cast<std::size_t>(req.inputs_size()), inputs.size());
  for (int i = 0; i < req.inputs_size(); ++i) {
    const auto& g = req.inputs(i);
    const json::object& r = inputs[static_cast<std::size_t>(i)].as_object();
    // The gRPC names that differ from REST: the suite's iris, and synth's, which REST leaves out.
    const std::string rest_name = r.contains("name") ? std::string(r.at("name").as_string()) : std::string();
    EXPECT_EQ(g.name(), type == "iris" ? "input" : type == "synth" ? "input_1" : rest_name);
    EXPECT_EQ(g.datatype(), std::string(r.at("datatype").as_string()));
    const json::array& shape = r.at("shape").as_array();
    ASSERT_EQ(static_cast<std::size_t>(g.shape_size()), shape.size());
    for (int d = 0; d < g.shape_size(); ++d) EXPECT_EQ(g.shape(d), shape[static_cast<std::size_t>(d)].as_int64());

    std::vector<json::value> data;
    flatten(r.at("data"), data);
    const auto& c = g.contents();
    if (g.datatype() == "INT32") {
      ASSERT_EQ(static_cast<std::size_t>(c.int_contents_size()), data.size());
      for (std::size_t k = 0; k < data.size(); ++k) EXPECT_EQ(c.int_contents(static_cast<int>(k)), data[k].as_int64());
      EXPECT_EQ(c.fp32_contents_size(), 0);
    } else if (g.datatype() == "FP32") {
      ASSERT_EQ(static_cast<std::size_t>(c.fp32_contents_size()), data.size());
      for (std::size_t k = 0; k < data.size(); ++k) {
        EXPECT_EQ(c.fp32_contents(static_cast<int>(k)), static_cast<float>(data[k].to_number<double>()));
      }
      EXPECT_EQ(c.int_contents_size(), 0);
    } else {
      ASSERT_EQ(g.datatype(), "BYTES");
      ASSERT_EQ(static_cast<std::size_t>(c.bytes_contents_size()), data.size());
      for (std::size_t k = 0; k < data.size(); ++k) {
        const std::string expected = type == "tfsimple_string" ? "1" : std::string(data[k].as_string());
        EXPECT_EQ(c.bytes_contents(static_cast<int>(k)), expected);
      }
    }
  }

  const json::value* params = rest.if_contains("parameters");
  ASSERT_EQ(static_cast<std::size_t>(req.parameters_size()), params ? params->as_object().size() : 0u);
  if (params) {
    for (const auto& [key, value] : params->as_object()) {
      const auto it = req.parameters().find(std::string(key));
      ASSERT_NE(it, req.parameters().end()) << key;
      EXPECT_EQ(it->second.string_param(), std::string(value.as_string()));
    }
  }
}

}  // namespace

TEST(GrpcRequestCatalogue, EveryTypeCarriesTheRestTensors) {
  ASSERT_EQ(scv2::known_model_types().size(), 12u);
  for (const auto& type : scv2::known_model_types()) {
    expect_same_tensors(type, 1);
    expect_same_tensors(type, 3);
  }
}

TEST(GrpcRequestCatalogue, BatchScalesTheFirstDimension) {
  const auto one = parse(scv2::grpc_payload("tfsimple", "m", 1));
  const auto four = parse(scv2::grpc_payload("tfsimple", "m", 4));
  EXPECT_EQ(one.inputs(0).shape(0), 1);
  EXPECT_EQ(four.inputs(0).shape(0), 4);
  EXPECT_EQ(four.inputs(1).shape(1), 16);
  EXPECT_EQ(four.inputs(1).contents().int_contents_size(), 64);
  EXPECT_EQ(four.inputs(1).contents().int_contents(63), 63);
  EXPECT_EQ(parse(scv2::grpc_payload("sentiment", "m", 5)).inputs(0).shape(0), 5);
  // mlflow_wine ignores the batch size in the suite, so it does here.
  EXPECT_EQ(scv2::grpc_payload("mlflow_wine", "m", 1), scv2::grpc_payload("mlflow_wine", "m", 8));
}

TEST(GrpcRequestCatalogue, OnlyUnknownTypesAreRefused) {
  // The suite's own gRPC payloads for these three cannot be sent; inferload's can.
  for (const char* type : {"add10", "echo", "synth"}) {
    EXPECT_TRUE(scv2::has_grpc_payload(type));
    EXPECT_NO_THROW(scv2::grpc_payload(type, "m", 1)) << type;
  }
  EXPECT_FALSE(scv2::has_grpc_payload("nope"));
  try {
    scv2::grpc_payload("nope", "m", 1);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("MODEL_TYPE"), std::string::npos);
  }
}

TEST(GrpcRequestCatalogue, EncodingIsDeterministic) {
  EXPECT_EQ(scv2::grpc_payload("mlflow_wine", "wine", 1), scv2::grpc_payload("mlflow_wine", "wine", 1));
  EXPECT_EQ(scv2::grpc_payload("iris", "iris", 2), scv2::grpc_payload("iris", "iris", 2));
}

TEST(GrpcRequestEncode, DatatypesSelectTheirContentsField) {
  const std::vector<oip::Tensor> inputs = {
      {"i64", {2}, "INT64", std::vector<std::int64_t>{-5, 1LL << 40}},
      {"u8", {1}, "UINT8", std::vector<std::int64_t>{200}},
      {"u64", {1}, "UINT64", std::vector<std::int64_t>{7}},
      {"b", {3}, "BOOL", std::vector<std::int64_t>{1, 0, 1}},
      {"f64", {1}, "FP64", std::vector<double>{0.1}},
  };
  const auto req = parse(oip::encode_grpc_request("m", inputs));
  ASSERT_EQ(req.inputs_size(), 5);
  EXPECT_EQ(req.inputs(0).contents().int64_contents(1), 1LL << 40);
  EXPECT_EQ(req.inputs(0).contents().int64_contents(0), -5);
  EXPECT_EQ(req.inputs(1).contents().uint_contents(0), 200u);
  EXPECT_EQ(req.inputs(2).contents().uint64_contents(0), 7u);
  ASSERT_EQ(req.inputs(3).contents().bool_contents_size(), 3);
  EXPECT_FALSE(req.inputs(3).contents().bool_contents(1));
  EXPECT_EQ(req.inputs(4).contents().fp64_contents(0), 0.1);
  EXPECT_EQ(req.parameters_size(), 0);
}

TEST(GrpcRequestEncode, DataThatDoesNotFitItsDatatypeIsRefused) {
  using V = std::vector<oip::Tensor>;
  for (const auto encoding : {oip::GrpcEncoding::contents, oip::GrpcEncoding::raw}) {
    auto encode = [&](const V& v) { return oip::encode_grpc_request("m", v, {}, encoding); };
    EXPECT_THROW(encode(V{{"h", {1}, "FP16", std::vector<double>{0.5}}}), std::invalid_argument);
    EXPECT_THROW(encode(V{{"s", {1}, "INT32", std::vector<std::string>{"x"}}}), std::invalid_argument);
    EXPECT_THROW(encode(V{{"r", {1}, "INT32", std::vector<double>{0.1}}}), std::invalid_argument);
    EXPECT_THROW(encode(V{{"n", {2, 2}, "INT32", std::vector<std::int64_t>{1, 2, 3}}}), std::invalid_argument);
    // Values the datatype cannot hold would otherwise be wrapped into other numbers.
    EXPECT_THROW(encode(V{{"i8", {1}, "INT8", std::vector<std::int64_t>{128}}}), std::invalid_argument);
    EXPECT_THROW(encode(V{{"u16", {1}, "UINT16", std::vector<std::int64_t>{-1}}}), std::invalid_argument);
    EXPECT_THROW(encode(V{{"i32", {1}, "INT32", std::vector<std::int64_t>{1LL << 31}}}), std::invalid_argument);
    EXPECT_THROW(encode(V{{"b", {1}, "BOOL", std::vector<std::int64_t>{2}}}), std::invalid_argument);
    try {
      encode(V{{"i8", {2}, "INT8", std::vector<std::int64_t>{1, -129}}});
      ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), "gRPC tensor \"i8\" (INT8): -129 is outside the datatype's range");
    }
  }
}

TEST(GrpcRequestEncode, RawContentsAreLittleEndianRowMajorPerInput) {
  const std::vector<oip::Tensor> inputs = {
      {"i8", {2}, "INT8", std::vector<std::int64_t>{-1, 127}},
      {"i16", {2}, "INT16", std::vector<std::int64_t>{-2, 0x1234}},
      {"u32", {1}, "UINT32", std::vector<std::int64_t>{0xA1B2C3D4}},
      {"i64", {1}, "INT64", std::vector<std::int64_t>{-3}},
      {"u64", {1}, "UINT64", std::vector<std::int64_t>{0x0102030405060708}},
      {"b", {3}, "BOOL", std::vector<std::int64_t>{1, 0, 1}},
      {"f32", {1, 2}, "FP32", std::vector<double>{1.0, -2.5}},
      {"f64", {1}, "FP64", std::vector<double>{0.1}},
      {"s", {3}, "BYTES", std::vector<std::string>{"ab", "", std::string("\0z", 2)}},
  };
  const auto req = parse(oip::encode_grpc_request("m", inputs, {{"k", "v"}}, oip::GrpcEncoding::raw));
  ASSERT_EQ(req.inputs_size(), 9);
  ASSERT_EQ(req.raw_input_contents_size(), 9);
  for (int i = 0; i < req.inputs_size(); ++i) {
    EXPECT_FALSE(req.inputs(i).has_contents()) << i;
    EXPECT_EQ(req.inputs(i).name(), inputs[static_cast<std::size_t>(i)].name);
    EXPECT_EQ(req.inputs(i).datatype(), inputs[static_cast<std::size_t>(i)].datatype);
  }
  EXPECT_EQ(req.inputs(6).shape_size(), 2);
  EXPECT_EQ(req.parameters().at("k").string_param(), "v");
  const auto bytes = [](std::initializer_list<int> b) {
    std::string s;
    for (int x : b) s.push_back(static_cast<char>(x));
    return s;
  };
  EXPECT_EQ(req.raw_input_contents(0), bytes({0xff, 0x7f}));
  EXPECT_EQ(req.raw_input_contents(1), bytes({0xfe, 0xff, 0x34, 0x12}));
  EXPECT_EQ(req.raw_input_contents(2), bytes({0xd4, 0xc3, 0xb2, 0xa1}));
  EXPECT_EQ(req.raw_input_contents(3), bytes({0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(req.raw_input_contents(4), bytes({8, 7, 6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(req.raw_input_contents(5), bytes({1, 0, 1}));
  EXPECT_EQ(req.raw_input_contents(6), bytes({0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0}));
  EXPECT_EQ(req.raw_input_contents(7), bytes({0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f}));
  EXPECT_EQ(req.raw_input_contents(8), bytes({2, 0, 0, 0, 'a', 'b', 0, 0, 0, 0, 2, 0, 0, 0, 0, 'z'}));
}
