#pragma once
// gRPC's length-prefixed message (doc/PROTOCOL-HTTP2.md): a compressed-flag byte, a 4-byte
// big-endian length, then the payload. The prefix is written apart from the payload so that a
// request serialized once at plan time is sent as a fresh 5-byte prefix plus the shared payload.
// MessageReader takes the DATA payloads of one stream, split anywhere, and yields whole messages.
// No I/O here.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "inferload/grpc/status.hpp"

namespace inferload::grpc {

inline constexpr std::size_t kMessagePrefixSize = 5;
// grpc's default receive limit (grpc-go's defaultClientMaxReceiveMessageSize, the C++ core's
// GRPC_DEFAULT_MAX_RECV_MESSAGE_LENGTH).
inline constexpr std::uint32_t kDefaultMaxMessageSize = 4u * 1024u * 1024u;

// Writes kMessagePrefixSize bytes to `out`.
void encode_message_prefix(std::uint32_t payload_size, bool compressed, char* out) noexcept;
// Appends prefix and payload; for plan time and tests.
void append_message(std::string_view payload, std::string& out);

enum class MessageError : std::uint8_t {
  none,
  too_large,                    // length over the reader's limit
  compressed_without_encoding,  // flag 1 but no grpc-encoding was negotiated
  bad_flag,                     // flag byte neither 0 nor 1
  truncated,                    // the stream ended inside a message
  undecodable,                  // whole, but its receiver could not decode it
};

const char* to_string(MessageError error) noexcept;
// The status the call ends with: RESOURCE_EXHAUSTED for too_large (as grpc's own receive limit
// reports it), INTERNAL for the others; OK for none.
StatusCode status_of(MessageError error) noexcept;

struct Message {
  // Points into the fed bytes when the whole message arrived in one feed, else into the reader's
  // buffer. Valid until the next call of feed() or next(), or until the fed bytes go away.
  std::string_view payload;
  bool compressed = false;
};

enum class ReadStatus : std::uint8_t { message, need_more, error };

class MessageReader {
 public:
  explicit MessageReader(std::uint32_t max_message_size = kDefaultMaxMessageSize,
                         bool compression_negotiated = false) noexcept;

  // Ready for the next stream, keeping the gathering buffer (so reuse never allocates).
  void reset() noexcept;

  // Returns false, taking nothing, while bytes of the previous slice are still unread.
  bool feed(const char* data, std::size_t len) noexcept;
  ReadStatus next(Message& message);
  // The stream ended (END_STREAM or trailers): error truncated unless it ended between messages
  // with every fed byte read. Returns the error, none when the stream ended cleanly.
  MessageError finish() noexcept;

  MessageError error() const noexcept { return error_; }
  std::uint32_t max_message_size() const noexcept { return max_message_size_; }
  // The capacity of the gathering buffer, for tests of its bound.
  std::size_t buffer_capacity() const noexcept { return buffer_capacity_; }

 private:
  enum class State : std::uint8_t { prefix, payload, failed };

  ReadStatus check_prefix(Message& message) noexcept;
  ReadStatus fail(MessageError error) noexcept;
  void reserve_buffer(std::size_t size);

  const char* input_ = nullptr;
  std::size_t input_left_ = 0;
  State state_ = State::prefix;
  std::uint32_t max_message_size_;
  bool compression_negotiated_;
  char prefix_bytes_[kMessagePrefixSize] = {};
  std::size_t prefix_have_ = 0;
  bool compressed_ = false;
  std::uint32_t length_ = 0;
  // Gathers a message that arrived in pieces; its capacity is kept between messages and never
  // exceeds the limit, since a longer length is refused before anything is gathered.
  std::unique_ptr<char[]> buffer_;
  std::size_t buffer_capacity_ = 0;
  std::size_t payload_have_ = 0;
  MessageError error_ = MessageError::none;
};

}  // namespace inferload::grpc
