#include "inferload/scv2/grpc_targets.hpp"

#include <stdexcept>

#include "inferload/grpc/message.hpp"
#include "inferload/grpc/status.hpp"
#include "inferload/scv2/catalogue.hpp"

namespace inferload::scv2 {

std::unique_ptr<http2::HpackEncoder> make_stateless_encoder() {
  auto e = std::make_unique<http2::HpackEncoder>(0);
  std::string spent;
  const http2::Header h{":method", "POST"};
  e->encode(&h, 1, spent);
  return e;
}

// Nothing is allocated until a type with many models is picked: most runs never need it, and a
// VU's memory is what 100,000 VUs multiply.
GrpcRequestBuffer::GrpcRequestBuffer(const GrpcTargetTable&) {}

GrpcTargetTable::GrpcTargetTable(const Settings& settings, const TargetTable& rest, const std::string& authority,
                                 runtime::Nanos timeout, oip::GrpcEncoding encoding)
    : rest_(rest), settings_(settings), authority_(authority), timeout_(grpc::format_timeout(timeout)) {
  auto encoder = make_stateless_encoder();
  for (std::uint32_t k = 0; k < rest.types().size(); ++k) {
    const ModelTypeTargets& t = rest.types()[k];
    GrpcTypeTargets g;
    // proto3 leaves an empty string out of the message: what remains is everything but the name.
    g.tail = grpc_payload(t.type, "", t.batch, encoding);
    types_.push_back(std::move(g));
    if (t.models <= TargetTable::kPreEncodedModels) {
      GrpcTypeTargets& gt = types_.back();
      gt.blocks.resize(t.models);
      gt.heads.resize(t.models);
      for (std::uint32_t id = 0; id < t.models; ++id) encode(k, id, *encoder, gt.blocks[id], gt.heads[id]);
    }
    // The type's longest name is its last model's.
    RequestHeaders last;
    const std::size_t count = headers(k, t.models - 1, last);
    std::size_t list = 0;
    for (std::size_t i = 0; i < count; ++i) {
      list += last.fields[i].name.size() + last.fields[i].value.size() + http2::kHeaderFieldOverhead;
    }
    largest_header_list_ = std::max(largest_header_list_, list);
  }
}

std::size_t GrpcTargetTable::headers(std::uint32_t type, std::uint32_t id, RequestHeaders& out) const {
  out.name = rest_.name({type, id});
  out.seldon_model = settings_.via_pipeline ? out.name + ".pipeline" : out.name;
  out.fields = {{
      {":method", "POST"},
      {":scheme", "http"},
      {":path", kModelInferPath},
      {":authority", authority_},
      {"content-type", "application/grpc"},
      {"te", "trailers"},
      {"grpc-timeout", timeout_},
      {"seldon-model", out.seldon_model},
      {"seldon-internal-model", out.name},
  }};
  return settings_.envoy ? 8 : 9;
}

void GrpcTargetTable::encode(std::uint32_t type, std::uint32_t id, http2::HpackEncoder& encoder, std::string& block,
                             std::string& head) const {
  RequestHeaders h;
  const std::size_t count = headers(type, id, h);
  const std::string& name = h.name;
  block.clear();
  if (!encoder.encode(h.fields.data(), count, block)) throw std::runtime_error("HPACK: cannot encode the request headers");
  // Field 1 (model_name), length-delimited, in front of the type's shared fields.
  const std::size_t tail = types_[type].tail.size();
  std::string field;
  field.push_back(0x0a);
  for (std::size_t n = name.size();; n >>= 7) {
    if (n < 0x80) {
      field.push_back(static_cast<char>(n));
      break;
    }
    field.push_back(static_cast<char>((n & 0x7f) | 0x80));
  }
  field += name;
  head.resize(grpc::kMessagePrefixSize);
  grpc::encode_message_prefix(static_cast<std::uint32_t>(field.size() + tail), false, head.data());
  head += field;
}

std::string GrpcTargetTable::header_text(ModelPick m) const {
  RequestHeaders h;
  const std::size_t count = headers(m.type, m.id, h);
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out.append(h.fields[i].name).append(": ").append(h.fields[i].value).append("\n");
  }
  return out;
}

grpc::RequestBytes GrpcTargetTable::request(ModelPick m, GrpcRequestBuffer& buffer) const {
  const GrpcTypeTargets& g = types_[m.type];
  grpc::RequestBytes r;
  const std::string* block;
  const std::string* head;
  if (!g.blocks.empty()) {
    block = &g.blocks[m.id];
    head = &g.heads[m.id];
  } else {
    if (buffer.per_type_.empty()) buffer.per_type_.resize(types_.size());
    GrpcRequestBuffer::PerType& p = buffer.per_type_[m.type];
    if (p.id != m.id) {
      if (!buffer.encoder_) buffer.encoder_ = make_stateless_encoder();
      encode(m.type, m.id, *buffer.encoder_, p.block, p.head);
      p.id = m.id;
    }
    block = &p.block;
    head = &p.head;
  }
  r.header_block = *block;
  r.body[0] = {head->data(), head->size()};
  r.body[1] = {g.tail.data(), g.tail.size()};
  r.body_pieces = 2;
  r.header_list_size = largest_header_list_;
  return r;
}

}  // namespace inferload::scv2
