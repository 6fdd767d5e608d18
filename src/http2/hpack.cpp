#include "inferload/http2/hpack.hpp"

#include <nghttp2/nghttp2.h>

#include <new>
#include <utility>
#include <vector>

namespace inferload::http2 {

namespace {

const std::uint8_t* bytes(std::string_view text) noexcept {
  return reinterpret_cast<const std::uint8_t*>(text.data());
}

std::string_view view(const std::uint8_t* data, std::size_t len) noexcept {
  return {reinterpret_cast<const char*>(data), len};
}

}  // namespace

struct HpackEncoder::State {
  nghttp2_hd_deflater* deflater = nullptr;
  // nghttp2 takes the headers as an nghttp2_nv array; this one is reused from block to block.
  std::vector<nghttp2_nv> fields;
  ~State() { nghttp2_hd_deflate_del(deflater); }
};

HpackEncoder::HpackEncoder(std::uint32_t max_table_size) : state_(std::make_unique<State>()) {
  if (nghttp2_hd_deflate_new(&state_->deflater, max_table_size) != 0) throw std::bad_alloc();
}

HpackEncoder::~HpackEncoder() = default;
HpackEncoder::HpackEncoder(HpackEncoder&&) noexcept = default;
HpackEncoder& HpackEncoder::operator=(HpackEncoder&&) noexcept = default;

bool HpackEncoder::encode(const Header* headers, std::size_t count, std::string& out) {
  auto& fields = state_->fields;
  fields.clear();
  for (std::size_t i = 0; i < count; ++i) {
    const Header& header = headers[i];
    // NO_COPY: nghttp2 copies only what it indexes, and the views outlive the call.
    std::uint8_t field_flags = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;
    if (header.never_indexed) field_flags |= NGHTTP2_NV_FLAG_NO_INDEX;
    fields.push_back(nghttp2_nv{const_cast<std::uint8_t*>(bytes(header.name)),
                                const_cast<std::uint8_t*>(bytes(header.value)), header.name.size(),
                                header.value.size(), field_flags});
  }
  const std::size_t start = out.size();
  const std::size_t bound = nghttp2_hd_deflate_bound(state_->deflater, fields.data(), count);
  out.resize(start + bound);
  const ssize_t written =
      nghttp2_hd_deflate_hd(state_->deflater, reinterpret_cast<std::uint8_t*>(out.data() + start),
                            bound, fields.data(), count);
  if (written < 0) {
    out.resize(start);
    return false;
  }
  out.resize(start + static_cast<std::size_t>(written));
  return true;
}

bool HpackEncoder::set_max_table_size(std::uint32_t size) {
  return nghttp2_hd_deflate_change_table_size(state_->deflater, size) == 0;
}

std::size_t HpackEncoder::dynamic_table_size() const noexcept {
  return nghttp2_hd_deflate_get_dynamic_table_size(state_->deflater);
}

const char* to_string(HpackStatus status) noexcept {
  switch (status) {
    case HpackStatus::ok: return "ok";
    case HpackStatus::compression_error: return "COMPRESSION_ERROR";
    case HpackStatus::header_list_too_large: return "header list too large";
  }
  return "unknown";
}

struct HpackDecoder::State {
  nghttp2_hd_inflater* inflater = nullptr;
  ~State() { nghttp2_hd_inflate_del(inflater); }
};

HpackDecoder::HpackDecoder(std::uint32_t max_header_list_size)
    : state_(std::make_unique<State>()), max_header_list_size_(max_header_list_size) {
  if (nghttp2_hd_inflate_new(&state_->inflater) != 0) throw std::bad_alloc();
}

HpackDecoder::~HpackDecoder() = default;
HpackDecoder::HpackDecoder(HpackDecoder&&) noexcept = default;
HpackDecoder& HpackDecoder::operator=(HpackDecoder&&) noexcept = default;

HpackStatus HpackDecoder::decode(std::string_view fragment, bool end_headers,
                                 HeaderCallback on_header, void* context) noexcept {
  if (failed_) return HpackStatus::compression_error;
  if (!in_block_) {
    in_block_ = true;
    block_list_size_ = 0;
  }
  const std::uint8_t* in = bytes(fragment);
  std::size_t left = fragment.size();
  const int in_final = end_headers ? 1 : 0;
  for (;;) {
    nghttp2_nv field;
    int inflate_flags = 0;
    const ssize_t used =
        nghttp2_hd_inflate_hd2(state_->inflater, &field, &inflate_flags, in, left, in_final);
    // Out of memory and a field beyond nghttp2's limit leave the table as lost as a bad block.
    if (used < 0) {
      failed_ = true;
      in_block_ = false;
      return HpackStatus::compression_error;
    }
    in += used;
    left -= static_cast<std::size_t>(used);
    if ((inflate_flags & NGHTTP2_HD_INFLATE_EMIT) != 0) {
      block_list_size_ += field.namelen + field.valuelen + kHeaderFieldOverhead;
      if (block_list_size_ <= max_header_list_size_) {
        on_header(context, view(field.name, field.namelen), view(field.value, field.valuelen));
      }
    }
    if ((inflate_flags & NGHTTP2_HD_INFLATE_FINAL) != 0) {
      nghttp2_hd_inflate_end_headers(state_->inflater);
      in_block_ = false;
      return block_list_size_ <= max_header_list_size_ ? HpackStatus::ok
                                                       : HpackStatus::header_list_too_large;
    }
    // Without a header to emit, nghttp2 has taken the whole fragment (keeping any partial
    // field); the rest of the block comes with the next one.
    if ((inflate_flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0) {
      if (end_headers) {
        // nghttp2 reports a block cut short on the last fragment itself; this is a safeguard.
        failed_ = true;
        in_block_ = false;
        return HpackStatus::compression_error;
      }
      return HpackStatus::ok;
    }
  }
}

bool HpackDecoder::set_max_table_size(std::uint32_t size) noexcept {
  if (in_block_) return false;
  return nghttp2_hd_inflate_change_table_size(state_->inflater, size) == 0;
}

std::size_t HpackDecoder::dynamic_table_size() const noexcept {
  return nghttp2_hd_inflate_get_dynamic_table_size(state_->inflater);
}

}  // namespace inferload::http2
