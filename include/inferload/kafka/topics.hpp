#pragma once
// SCv2's Kafka names: the topics its gateways read and write (`P.NS.model.<m>.inputs`, ...),
// the composite record key `<partition>.<name>.<id>` a reply is matched by, and the headers a
// request carries. The key is written into a buffer that is reused, so a warm writer never
// allocates.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace inferload::kafka {

inline constexpr std::string_view kDefaultTopicPrefix = "seldon";
inline constexpr std::string_view kDefaultNamespace = "default";

// Request headers: SCv2's gateways copy x- headers through, the dataflow engine keeps only
// records whose `pipeline` names the pipeline, and the model gateway skips content sniffing
// when the infer type is given.
inline constexpr std::string_view kRequestIdHeader = "x-request-id";
inline constexpr std::string_view kPipelineHeader = "pipeline";
inline constexpr std::string_view kInferTypeHeader = "seldon-infer-type";
inline constexpr std::string_view kInferTypeProtoRequest = "proto/InferModelRequest";
// Carried by a record on the error topic (or any reply) that reports a failed inference.
inline constexpr std::string_view kPipelineErrorsHeader = "seldon-pipeline-errors";

// SCv2 accepts only these characters in kafka.topicPrefix.
bool valid_topic_prefix(std::string_view prefix) noexcept;

// The topic names of one SCv2 installation. Throws std::invalid_argument naming the prefix when
// it has a character SCv2 refuses; an empty namespace is SCv2's `default`.
class TopicNames {
 public:
  TopicNames(std::string_view prefix, std::string_view ns);

  std::string model_inputs(std::string_view model) const;
  std::string model_outputs(std::string_view model) const;
  std::string pipeline_inputs(std::string_view pipeline) const;
  std::string pipeline_outputs(std::string_view pipeline) const;
  std::string errors() const;

  const std::string& prefix() const noexcept { return prefix_; }
  const std::string& ns() const noexcept { return ns_; }

 private:
  std::string join(std::string_view kind, std::string_view name, std::string_view suffix) const;
  std::string prefix_;
  std::string ns_;
};

// A request's id as it appears at the end of its key and in x-request-id: 32 lowercase hex
// digits, the process's nonce then the id. The nonce keeps another process's replies (several
// processes of a split test read the same outputs topics) from matching a request of ours.
inline constexpr std::size_t kRequestIdChars = 32;
void format_request_id(std::uint64_t nonce, std::uint64_t id, char (&out)[kRequestIdChars]) noexcept;

struct RequestId {
  std::uint64_t nonce;
  std::uint64_t id;
};
// The request id at the end of a reply's key (after its last '.'), or nothing when the key does
// not end in one of ours.
std::optional<RequestId> parse_key_request_id(std::string_view key) noexcept;

// Writes `<partition>.<name>.<request id>` into a buffer it keeps; the view is valid until the
// next write.
class KeyWriter {
 public:
  std::string_view write(std::int32_t partition, std::string_view name, std::string_view request_id);

 private:
  std::string buf_;
};

}  // namespace inferload::kafka
