#pragma once
// The gRPC ModelInfer request of every model a run may call, for the same model choice as the
// REST table's (TargetTable::pick): the metadata rules of the suite (section 3.2: seldon-model,
// NAME.pipeline via pipeline, seldon-internal-model off envoy, no x-request-id), the header
// block encoded once with nghttp2's HPACK encoder without the dynamic table (so any connection
// may carry it), and the message serialized once per type: a model's body is a 5-byte prefix,
// its model_name field, and the type's shared rest of the ModelInferRequest.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inferload/grpc/call.hpp"
#include "inferload/http2/hpack.hpp"
#include "inferload/oip/grpc_request.hpp"
#include "inferload/scv2/targets.hpp"

namespace inferload::scv2 {

inline constexpr const char* kModelInferPath = "/inference.GRPCInferenceService/ModelInfer";

struct GrpcTypeTargets {
  std::string tail;                 // the ModelInferRequest without model_name
  std::vector<std::string> blocks;  // every model's header block, when there are few
  std::vector<std::string> heads;   // every model's prefix + model_name field, likewise
};

class GrpcTargetTable;

// A VU's storage for requests encoded when picked (types with many models).
class GrpcRequestBuffer {
 public:
  explicit GrpcRequestBuffer(const GrpcTargetTable& table);

 private:
  friend class GrpcTargetTable;
  struct PerType {
    std::string block;
    std::string head;
    std::uint32_t id = UINT32_MAX;
  };
  std::vector<PerType> per_type_;
  std::unique_ptr<http2::HpackEncoder> encoder_;  // made on first use
};

class GrpcTargetTable {
 public:
  // `authority` is INFER_GRPC_ENDPOINT as given; `timeout` goes into grpc-timeout; `encoding`
  // puts the tensors' data in typed contents (as the suite does) or raw_input_contents. Throws
  // std::invalid_argument naming the variable at fault.
  GrpcTargetTable(const Settings& settings, const TargetTable& rest, const std::string& authority, runtime::Nanos timeout,
                  oip::GrpcEncoding encoding = oip::GrpcEncoding::contents);

  grpc::RequestBytes request(ModelPick m, GrpcRequestBuffer& buffer) const;
  // The request's header fields, "name: value" a line, for --http-debug (allocates).
  std::string header_text(ModelPick m) const;
  std::size_t types() const noexcept { return types_.size(); }
  // Summed over the fields, with RFC 9113's 32 octets each: what the server's
  // SETTINGS_MAX_HEADER_LIST_SIZE is compared with.
  std::size_t largest_header_list() const noexcept { return largest_header_list_; }

 private:
  // A model's request header fields, viewing into the names kept beside them.
  struct RequestHeaders {
    std::string name;
    std::string seldon_model;
    std::array<http2::Header, 9> fields;
  };
  // Fills `out` and returns how many of its fields are sent (seldon-internal-model off envoy).
  std::size_t headers(std::uint32_t type, std::uint32_t id, RequestHeaders& out) const;
  void encode(std::uint32_t type, std::uint32_t id, http2::HpackEncoder& encoder, std::string& block,
              std::string& head) const;

  const TargetTable& rest_;
  const Settings& settings_;
  std::string authority_;
  std::string timeout_;
  std::vector<GrpcTypeTargets> types_;  // index-aligned with rest_.types()
  std::size_t largest_header_list_ = 0;
};

// An HPACK encoder whose blocks never refer to its dynamic table: primed so that its one table
// size update (to 0) is already spent.
std::unique_ptr<http2::HpackEncoder> make_stateless_encoder();

}  // namespace inferload::scv2
