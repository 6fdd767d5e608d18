#pragma once
// HPACK (RFC 7541) for the http2 module, done by nghttp2's standalone header compressor
// (nghttp2_hd_*): its tables and Huffman code are well tested. Nothing else of nghttp2 is used,
// so framing and connection state stay ours.
//
// No allocation here per header block once the scratch space has reached its working size.
// nghttp2 itself allocates inside its calls: a dynamic table entry per header it indexes, and
// its buffer for a literal split across fragments.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

namespace inferload::http2 {

struct Header {
  std::string_view name;  // lower case, as HTTP/2 requires
  std::string_view value;
  // Sent as "never indexed" (RFC 7541 6.2.3): for secrets, which no intermediary may put in a
  // table where a compression side channel could probe them.
  bool never_indexed = false;
};

// The 4096 of RFC 9113's initial SETTINGS_HEADER_TABLE_SIZE.
inline constexpr std::uint32_t kDefaultHeaderTableSize = 4096;
// What we announce as SETTINGS_MAX_HEADER_LIST_SIZE unless told otherwise: far above any
// inference response's headers or trailers, far below what would let a peer exhaust memory.
inline constexpr std::uint32_t kDefaultMaxHeaderListSize = 65536;
// RFC 9113 10.5.1 (after RFC 7541 4.1): a field costs its name, its value and 32 octets.
inline constexpr std::size_t kHeaderFieldOverhead = 32;

class HpackEncoder {
 public:
  // `max_table_size` caps the dynamic table whatever the peer allows, and so the memory used.
  explicit HpackEncoder(std::uint32_t max_table_size = kDefaultHeaderTableSize);
  ~HpackEncoder();
  HpackEncoder(HpackEncoder&&) noexcept;
  HpackEncoder& operator=(HpackEncoder&&) noexcept;
  HpackEncoder(const HpackEncoder&) = delete;
  HpackEncoder& operator=(const HpackEncoder&) = delete;

  // Appends one header block holding `headers` in order. Returns false, leaving `out` as it
  // was, when nghttp2 fails (out of memory, or a field beyond its 64 KiB limit); the encoder
  // is unusable afterwards, as the peer's table can no longer be kept in step.
  bool encode(const Header* headers, std::size_t count, std::string& out);

  // The peer's SETTINGS_HEADER_TABLE_SIZE (clamped to the constructor's cap); the next block
  // starts with the dynamic table size update that RFC 7541 6.3 requires. Returns false on
  // out of memory.
  bool set_max_table_size(std::uint32_t size);

  // Bytes in use in the dynamic table, with the 32 octets per entry.
  std::size_t dynamic_table_size() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

enum class HpackStatus : std::uint8_t {
  ok,  // the fragment was consumed; after the block's last one, the block is complete
  // The block cannot be decoded (RFC 9113 4.3): a connection error COMPRESSION_ERROR. Every
  // later call says so too, since the dynamic table is no longer the peer's.
  compression_error,
  // The block decoded, but its headers exceed the maximum header list size: the stream must be
  // reset, while the connection and its dynamic table live on.
  header_list_too_large,
};

const char* to_string(HpackStatus status) noexcept;

// Called once per header, in order. The views are valid only during the call.
using HeaderCallback = void (*)(void* context, std::string_view name, std::string_view value);

class HpackDecoder {
 public:
  // The dynamic table starts at RFC 9113's 4096 octets, which the peer assumes until our
  // SETTINGS say otherwise.
  explicit HpackDecoder(std::uint32_t max_header_list_size = kDefaultMaxHeaderListSize);
  ~HpackDecoder();
  HpackDecoder(HpackDecoder&&) noexcept;
  HpackDecoder& operator=(HpackDecoder&&) noexcept;
  HpackDecoder(const HpackDecoder&) = delete;
  HpackDecoder& operator=(const HpackDecoder&) = delete;

  // Decodes the next fragment of the open header block: a HEADERS payload, then each
  // CONTINUATION's. `end_headers` is the frame's END_HEADERS flag and closes the block.
  // Every byte is consumed: a field split between fragments is completed by the next one.
  //
  // Once the block's headers pass the maximum header list size, the callback is no longer
  // called but decoding goes on to the end of the block, which then returns
  // header_list_too_large: the dynamic table must take in every entry the peer indexed.
  HpackStatus decode(std::string_view fragment, bool end_headers, HeaderCallback on_header,
                     void* context) noexcept;

  // The same with any callable taking (std::string_view name, std::string_view value).
  template <class OnHeader>
  HpackStatus decode(std::string_view fragment, bool end_headers, OnHeader&& on_header) noexcept {
    return decode(
        fragment, end_headers,
        [](void* context, std::string_view name, std::string_view value) {
          (*static_cast<std::remove_reference_t<OnHeader>*>(context))(name, value);
        },
        const_cast<void*>(static_cast<const void*>(&on_header)));
  }

  // Our SETTINGS_HEADER_TABLE_SIZE, once the peer has acknowledged it; the peer's next block
  // must then start with a table size update within it. Only between blocks: returns false
  // while one is open.
  bool set_max_table_size(std::uint32_t size) noexcept;
  // Our SETTINGS_MAX_HEADER_LIST_SIZE; applies from the next block.
  void set_max_header_list_size(std::uint32_t size) noexcept { max_header_list_size_ = size; }
  std::uint32_t max_header_list_size() const noexcept { return max_header_list_size_; }

  bool in_block() const noexcept { return in_block_; }
  std::size_t dynamic_table_size() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::uint32_t max_header_list_size_;
  std::size_t block_list_size_ = 0;  // RFC 9113 10.5.1 size of the open block's headers so far
  bool in_block_ = false;
  bool failed_ = false;
};

}  // namespace inferload::http2
