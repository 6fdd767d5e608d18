// The gRPC requests of a run as they go on the wire: each model's header block decodes (with a
// decoder in any state, since it never refers to the dynamic table) to the suite's metadata, and
// its two-piece body is the length-prefixed ModelInferRequest of the catalogue for that model.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "inference.pb.h"
#include "inferload/grpc/message.hpp"
#include "inferload/net/endpoint.hpp"
#include "inferload/scv2/catalogue.hpp"
#include "inferload/scv2/grpc_targets.hpp"

namespace inferload {
namespace {

scv2::Settings settings(bool envoy, bool pipeline, const std::string& models = "3,2") {
  std::map<std::string, std::string> env = {{"MODEL_TYPE", "tfsimple,iris"}, {"MAX_NUM_MODELS", models},
                                            {"ENVOY", envoy ? "true" : "false"},
                                            {"VIA_PIPELINE", pipeline ? "true" : "false"}};
  return scv2::load_settings([env](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

std::multimap<std::string, std::string> decode(const std::string& block, http2::HpackDecoder& d) {
  std::multimap<std::string, std::string> out;
  EXPECT_EQ(d.decode(block, true, [&](std::string_view n, std::string_view v) { out.emplace(n, v); }),
            http2::HpackStatus::ok);
  return out;
}

std::string body_of(const grpc::RequestBytes& r) {
  std::string b;
  for (std::size_t i = 0; i < r.body_pieces; ++i) b.append(r.body[i].data, r.body[i].size);
  return b;
}

void expect_request(const scv2::Settings& s, const scv2::TargetTable& rest, const scv2::GrpcTargetTable& table,
                    scv2::GrpcRequestBuffer& buffer, http2::HpackDecoder& decoder, scv2::ModelPick m,
                    scv2::GrpcEncoding encoding = scv2::GrpcEncoding::contents) {
  const grpc::RequestBytes r = table.request(m, buffer);
  const std::string name = rest.name(m);
  const auto h = decode(std::string(r.header_block), decoder);
  auto one = [&](const std::string& k) {
    EXPECT_EQ(h.count(k), 1u) << k;
    return h.count(k) ? h.find(k)->second : std::string();
  };
  EXPECT_EQ(one(":method"), "POST");
  EXPECT_EQ(one(":scheme"), "http");
  EXPECT_EQ(one(":path"), "/inference.GRPCInferenceService/ModelInfer");
  EXPECT_EQ(one(":authority"), "sim:9000");
  EXPECT_EQ(one("content-type"), "application/grpc");
  EXPECT_EQ(one("te"), "trailers");
  EXPECT_EQ(one("grpc-timeout"), "120000m");
  EXPECT_EQ(one("seldon-model"), s.via_pipeline ? name + ".pipeline" : name);
  EXPECT_EQ(h.count("seldon-internal-model"), s.envoy ? 0u : 1u);
  if (!s.envoy) {
    EXPECT_EQ(one("seldon-internal-model"), name);
  }
  EXPECT_EQ(h.count("x-request-id"), 0u);

  const std::string body = body_of(r);
  grpc::MessageReader reader;
  ASSERT_TRUE(reader.feed(body.data(), body.size()));
  grpc::Message msg;
  ASSERT_EQ(reader.next(msg), grpc::ReadStatus::message);
  EXPECT_EQ(reader.next(msg = {}), grpc::ReadStatus::need_more);
  EXPECT_EQ(reader.finish(), grpc::MessageError::none);
  const std::string payload(body.substr(grpc::kMessagePrefixSize));
  inference::ModelInferRequest got, want;
  ASSERT_TRUE(got.ParseFromString(payload));
  ASSERT_TRUE(
      want.ParseFromString(scv2::grpc_payload(rest.types()[m.type].type, name, rest.types()[m.type].batch, encoding)));
  EXPECT_EQ(got.model_name(), name);
  EXPECT_EQ(got.SerializeAsString(), want.SerializeAsString());
}

TEST(GrpcTargets, EveryModelsRequestIsTheCataloguesForItsName) {
  for (bool envoy : {true, false}) {
    for (bool pipeline : {false, true}) {
      const scv2::Settings s = settings(envoy, pipeline);
      const scv2::TargetTable rest(s, net::parse_http_url("http://sim:9000"));
      const scv2::GrpcTargetTable table(s, rest, "sim:9000", 120 * runtime::kSecond);
      scv2::GrpcRequestBuffer buffer(table);
      http2::HpackDecoder decoder;
      for (std::uint32_t t = 0; t < rest.types().size(); ++t) {
        for (std::uint32_t id = 0; id < rest.types()[t].models; ++id) expect_request(s, rest, table, buffer, decoder, {t, id});
      }
    }
  }
}

TEST(GrpcTargets, ManyModelsAreEncodedWhenPicked) {
  const scv2::Settings s = settings(false, false, "5000,1");
  const scv2::TargetTable rest(s, net::parse_http_url("http://sim:9000"));
  const scv2::GrpcTargetTable table(s, rest, "sim:9000", 120 * runtime::kSecond);
  scv2::GrpcRequestBuffer buffer(table);
  http2::HpackDecoder decoder;
  for (std::uint32_t id : {0u, 4999u, 1234u, 1234u, 77u}) expect_request(s, rest, table, buffer, decoder, {0, id});
}

TEST(GrpcTargets, RawContentsForEveryModelOfTheTypesTheSuiteCouldNotSend) {
  std::map<std::string, std::string> env = {{"MODEL_TYPE", "add10,echo,synth,tfsimple_string"},
                                            {"MAX_NUM_MODELS", "2,1,1,2"}, {"INFER_BATCH_SIZE", "1,1,1,2"}};
  const scv2::Settings s = scv2::load_settings([env](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
  const scv2::TargetTable rest(s, net::parse_http_url("http://sim:9000"));
  const scv2::GrpcTargetTable table(s, rest, "sim:9000", 120 * runtime::kSecond, scv2::GrpcEncoding::raw);
  scv2::GrpcRequestBuffer buffer(table);
  http2::HpackDecoder decoder;
  ASSERT_EQ(table.types(), 4u);
  for (std::uint32_t t = 0; t < rest.types().size(); ++t) {
    for (std::uint32_t id = 0; id < rest.types()[t].models; ++id) {
      expect_request(s, rest, table, buffer, decoder, {t, id}, scv2::GrpcEncoding::raw);
      inference::ModelInferRequest sent;
      const std::string body = body_of(table.request({t, id}, buffer));
      ASSERT_TRUE(sent.ParseFromString(body.substr(grpc::kMessagePrefixSize)));
      EXPECT_EQ(sent.raw_input_contents_size(), sent.inputs_size());
      EXPECT_FALSE(sent.inputs(0).has_contents());
    }
  }
}

}  // namespace
}  // namespace inferload
