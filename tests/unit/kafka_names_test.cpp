// SCv2's Kafka names (reference: scheduler/pkg/kafka/topics.go, the pipeline gateway's key) and
// the Confluent schema-registry framing.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "inferload/kafka/framing.hpp"
#include "inferload/kafka/topics.hpp"

namespace inferload::kafka {
namespace {

TEST(KafkaTopics, FollowScv2sNaming) {
  const TopicNames t("seldon", "default");
  EXPECT_EQ(t.model_inputs("tfsimple1"), "seldon.default.model.tfsimple1.inputs");
  EXPECT_EQ(t.model_outputs("mul10"), "seldon.default.model.mul10.outputs");
  EXPECT_EQ(t.pipeline_inputs("p1"), "seldon.default.pipeline.p1.inputs");
  EXPECT_EQ(t.pipeline_outputs("p1"), "seldon.default.pipeline.p1.outputs");
  EXPECT_EQ(t.errors(), "seldon.default.errors.errors");
  const TopicNames other("my-org_1.x", "seldon-mesh");
  EXPECT_EQ(other.model_inputs("m"), "my-org_1.x.seldon-mesh.model.m.inputs");
  EXPECT_EQ(other.errors(), "my-org_1.x.seldon-mesh.errors.errors");
}

TEST(KafkaTopics, AnEmptyNamespaceIsDefault) {
  EXPECT_EQ(TopicNames("seldon", "").model_inputs("m"), "seldon.default.model.m.inputs");
}

TEST(KafkaTopics, RefusesAPrefixScv2Refuses) {
  EXPECT_TRUE(valid_topic_prefix("Ab09._-"));
  for (const char* bad : {"", "sel don", "seldon/x", "séldon", "a:b"}) {
    EXPECT_FALSE(valid_topic_prefix(bad)) << bad;
    try {
      TopicNames t(bad, "default");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("Kafka topic prefix \"") + bad + "\""), std::string::npos)
          << e.what();
    }
  }
}

TEST(KafkaHeaders, AreScv2s) {
  EXPECT_EQ(kRequestIdHeader, "x-request-id");
  EXPECT_EQ(kPipelineHeader, "pipeline");
  EXPECT_EQ(kInferTypeHeader, "seldon-infer-type");
  EXPECT_EQ(kInferTypeProtoRequest, "proto/InferModelRequest");
  EXPECT_EQ(kPipelineErrorsHeader, "seldon-pipeline-errors");
}

TEST(KafkaKey, IsPartitionNameAndRequestId) {
  char rid[kRequestIdChars];
  format_request_id(0x0123456789abcdefull, 0xfedcba9876543210ull, rid);
  const std::string_view id(rid, sizeof(rid));
  EXPECT_EQ(id, "0123456789abcdeffedcba9876543210");
  KeyWriter w;
  EXPECT_EQ(w.write(0, "iris", id), "0.iris.0123456789abcdeffedcba9876543210");
  EXPECT_EQ(w.write(12, "a.b", id), "12.a.b.0123456789abcdeffedcba9876543210");
  const auto back = parse_key_request_id("12.a.b.0123456789abcdeffedcba9876543210");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->nonce, 0x0123456789abcdefull);
  EXPECT_EQ(back->id, 0xfedcba9876543210ull);
}

TEST(KafkaKey, ParsingRefusesKeysThatAreNotOurs) {
  for (const char* key : {"", "0.iris", "0.iris.0123456789abcdeffedcba987654321",  // 31 digits
                          "0.iris.0123456789abcdeffedcba98765432100", "0.iris.0123456789ABCDEFfedcba9876543210",
                          "0.iris.0123456789abcdeffedcba987654321g", "0123456789abcdeffedcba9876543210"}) {
    EXPECT_FALSE(parse_key_request_id(key)) << key;
  }
}

TEST(KafkaKey, AWarmWriterDoesNotAllocate) {
  KeyWriter w;
  char rid[kRequestIdChars];
  format_request_id(1, 2, rid);
  w.write(2147483647, "a-rather-long-model-name-of-some-length", std::string_view(rid, sizeof(rid)));
  // The buffer's capacity now holds any key this long or shorter: the same storage is reused.
  const char* storage = w.write(7, "short", std::string_view(rid, sizeof(rid))).data();
  EXPECT_EQ(w.write(-1, "a-rather-long-model-name-of-some-length", std::string_view(rid, sizeof(rid))).data(), storage);
}

TEST(KafkaFraming, RoundTrips) {
  const auto prefix = frame_prefix(0x01020304);
  EXPECT_EQ(std::string(prefix.data(), prefix.size()), std::string("\x00\x01\x02\x03\x04\x00", 6));
  const std::string value = std::string(prefix.data(), prefix.size()) + "payload";
  const auto u = unframe(value);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->schema_id, 0x01020304u);
  EXPECT_EQ(u->payload, "payload");
  const auto big = frame_prefix(0xFFFFFFFEu);
  const auto ub = unframe(std::string_view(big.data(), big.size()));
  ASSERT_TRUE(ub);
  EXPECT_EQ(ub->schema_id, 0xFFFFFFFEu);
  EXPECT_TRUE(ub->payload.empty());
}

TEST(KafkaFraming, RefusesShortAndGarbledFrames) {
  EXPECT_FALSE(unframe(""));
  EXPECT_FALSE(unframe(std::string("\x00\x00\x00\x01\x00", 5)));         // one byte short
  EXPECT_FALSE(unframe(std::string("\x01\x00\x00\x00\x01\x00xx", 8)));   // no magic byte
  EXPECT_FALSE(unframe(std::string("\x00\x00\x00\x00\x01\x02xx", 8)));   // another message type
  EXPECT_FALSE(unframe("\x0a\x04iris"));                                 // an unframed protobuf
}

}  // namespace
}  // namespace inferload::kafka
