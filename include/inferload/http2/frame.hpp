#pragma once
// HTTP/2 framing (RFC 9113 sections 4 and 6): the 9-byte frame header, encoders for the frames a
// client sends, and an incremental FrameReader that validates what can be checked from one frame
// alone. No I/O here, and nothing allocates once the buffers have reached their working size.
//
// Bytes are chars, so the caller's std::string send buffers and receive slices fit as they are.
// Connection and stream state (flow-control windows, stream lifecycles, HPACK) lives above this.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace inferload::http2 {

// Any uint8_t value is a valid FrameType: a value without a name is an extension frame type,
// which a receiver must ignore (RFC 9113 section 4.1).
enum class FrameType : std::uint8_t {
  data = 0x0,
  headers = 0x1,
  priority = 0x2,
  rst_stream = 0x3,
  settings = 0x4,
  push_promise = 0x5,
  ping = 0x6,
  goaway = 0x7,
  window_update = 0x8,
  continuation = 0x9,
};

constexpr bool is_known(FrameType type) noexcept {
  return static_cast<std::uint8_t>(type) <= static_cast<std::uint8_t>(FrameType::continuation);
}

// "unknown" for an extension type.
const char* to_string(FrameType type) noexcept;

namespace flags {
inline constexpr std::uint8_t end_stream = 0x01;   // DATA, HEADERS
inline constexpr std::uint8_t ack = 0x01;          // SETTINGS, PING
inline constexpr std::uint8_t end_headers = 0x04;  // HEADERS, PUSH_PROMISE, CONTINUATION
inline constexpr std::uint8_t padded = 0x08;       // DATA, HEADERS, PUSH_PROMISE
inline constexpr std::uint8_t priority = 0x20;     // HEADERS
}  // namespace flags

// RFC 9113 section 7, with the RFC's numbers (they go on the wire in RST_STREAM and GOAWAY).
enum class ErrorCode : std::uint32_t {
  no_error = 0x0,
  protocol_error = 0x1,
  internal_error = 0x2,
  flow_control_error = 0x3,
  settings_timeout = 0x4,
  stream_closed = 0x5,
  frame_size_error = 0x6,
  refused_stream = 0x7,
  cancel = 0x8,
  compression_error = 0x9,
  connect_error = 0xa,
  enhance_your_calm = 0xb,
  inadequate_security = 0xc,
  http_1_1_required = 0xd,
};

// The RFC's name, e.g. "PROTOCOL_ERROR"; "UNKNOWN" for a code it does not define.
const char* to_string(ErrorCode code) noexcept;

enum class SettingId : std::uint16_t {
  header_table_size = 0x1,
  enable_push = 0x2,
  max_concurrent_streams = 0x3,
  initial_window_size = 0x4,
  max_frame_size = 0x5,
  max_header_list_size = 0x6,
};

struct Setting {
  SettingId id;
  std::uint32_t value;
  bool operator==(const Setting&) const = default;
};

inline constexpr std::size_t kFrameHeaderSize = 9;
inline constexpr std::uint32_t kDefaultMaxFrameSize = 16384;         // the floor, too
inline constexpr std::uint32_t kLargestMaxFrameSize = (1u << 24) - 1;  // the 24-bit length field
inline constexpr std::uint32_t kLargestWindowSize = (1u << 31) - 1;
inline constexpr std::uint32_t kStreamIdMask = (1u << 31) - 1;  // drops the reserved bit
inline constexpr std::string_view kClientPreface{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24};

struct FrameHeader {
  std::uint32_t length = 0;  // of the payload, as on the wire (padding included)
  FrameType type = FrameType::data;
  std::uint8_t flags = 0;
  std::uint32_t stream_id = 0;
  bool has(std::uint8_t flag) const noexcept { return (flags & flag) != 0; }
  bool operator==(const FrameHeader&) const = default;
};

// Writes exactly kFrameHeaderSize bytes. The length must fit in 24 bits; the reserved bit of the
// stream id is sent as 0.
void encode_frame_header(const FrameHeader& header, char* out) noexcept;
// Reads kFrameHeaderSize bytes; the reserved bit of the stream id is ignored, as the RFC asks.
FrameHeader decode_frame_header(const char* in) noexcept;

// Encoders. Each one comes twice: appending to a std::string (which allocates only when the
// string's capacity is exceeded), and writing to the front of a span, returning the bytes
// written, or 0 when the frame does not fit (no frame is shorter than its 9-byte header).
// Payload-carrying frames are not split: the caller keeps each under the peer's
// SETTINGS_MAX_FRAME_SIZE.

// Any frame, from its header fields and its payload as it goes on the wire.
void append_frame(std::string& out, FrameType type, std::uint8_t flags, std::uint32_t stream_id,
                  std::string_view payload);
std::size_t write_frame(std::span<char> out, FrameType type, std::uint8_t flags,
                        std::uint32_t stream_id, std::string_view payload) noexcept;

void append_settings(std::string& out, std::span<const Setting> settings);
std::size_t write_settings(std::span<char> out, std::span<const Setting> settings) noexcept;
void append_settings_ack(std::string& out);
std::size_t write_settings_ack(std::span<char> out) noexcept;

// The 8 opaque bytes are the big-endian form of `opaque`.
void append_ping(std::string& out, std::uint64_t opaque, bool ack = false);
std::size_t write_ping(std::span<char> out, std::uint64_t opaque, bool ack = false) noexcept;

void append_window_update(std::string& out, std::uint32_t stream_id, std::uint32_t increment);
std::size_t write_window_update(std::span<char> out, std::uint32_t stream_id,
                                std::uint32_t increment) noexcept;

void append_rst_stream(std::string& out, std::uint32_t stream_id, ErrorCode code);
std::size_t write_rst_stream(std::span<char> out, std::uint32_t stream_id, ErrorCode code) noexcept;

void append_goaway(std::string& out, std::uint32_t last_stream_id, ErrorCode code,
                   std::string_view debug_data = {});
std::size_t write_goaway(std::span<char> out, std::uint32_t last_stream_id, ErrorCode code,
                         std::string_view debug_data = {}) noexcept;

// `fragment` is an already HPACK-encoded header block fragment.
void append_headers(std::string& out, std::uint32_t stream_id, std::string_view fragment,
                    bool end_stream, bool end_headers);
std::size_t write_headers(std::span<char> out, std::uint32_t stream_id, std::string_view fragment,
                          bool end_stream, bool end_headers) noexcept;

void append_continuation(std::string& out, std::uint32_t stream_id, std::string_view fragment,
                         bool end_headers);
std::size_t write_continuation(std::span<char> out, std::uint32_t stream_id,
                               std::string_view fragment, bool end_headers) noexcept;

// pad_length < 0: no PADDED flag. 0..255: PADDED, a Pad Length byte and that many zero bytes,
// all of which count against flow control.
void append_data(std::string& out, std::uint32_t stream_id, std::string_view data, bool end_stream,
                 int pad_length = -1);
std::size_t write_data(std::span<char> out, std::uint32_t stream_id, std::string_view data,
                       bool end_stream, int pad_length = -1) noexcept;

// A frame as the reader yields it. `payload` has padding, the Pad Length byte, HEADERS' priority
// fields and PUSH_PROMISE's promised stream id taken off; for PUSH_PROMISE that id is in
// `promised_stream_id`. The view points into the bytes given to feed() or into the reader's
// buffer, and is valid until the next call to next() or feed().
struct Frame {
  FrameHeader header;
  std::string_view payload;
  std::uint32_t promised_stream_id = 0;
};

// Payload accessors for frames the reader has validated (the lengths are the checked ones).
inline std::size_t settings_count(std::string_view payload) noexcept { return payload.size() / 6; }
Setting settings_entry(std::string_view payload, std::size_t index) noexcept;
std::uint64_t ping_opaque(std::string_view payload) noexcept;
std::uint32_t window_increment(std::string_view payload) noexcept;
ErrorCode rst_stream_code(std::string_view payload) noexcept;
struct GoAway {
  std::uint32_t last_stream_id;
  ErrorCode code;
  std::string_view debug_data;
};
GoAway decode_goaway(std::string_view payload) noexcept;

enum class ReadStatus : std::uint8_t {
  frame,             // `frame` holds the next frame
  need_more,         // every byte given has been consumed; feed() the next ones
  stream_error,      // the stream error_stream_id() must be reset with error(); reading goes on
  connection_error,  // the connection must go away with error(); every later next() says so too
};

// Reads frames from a connection's byte stream split at any points.
//
// feed() hands over the next slice; next() is then called until it returns need_more (or a
// connection error), after which the slice is no longer needed. A frame lying whole in one slice
// is yielded in place; only a frame spread over several slices is gathered in the reader's
// buffer, which grows to at most the local SETTINGS_MAX_FRAME_SIZE and is then reused. Frames
// of extension types are skipped without being buffered.
class FrameReader {
 public:
  explicit FrameReader(std::uint32_t max_frame_size = kDefaultMaxFrameSize) noexcept;

  // The SETTINGS_MAX_FRAME_SIZE this endpoint announced (and the peer acknowledged), clamped to
  // 16384..2^24-1. Checked against each frame whose header is read from now on.
  void set_max_frame_size(std::uint32_t max_frame_size) noexcept;
  std::uint32_t max_frame_size() const noexcept { return max_frame_size_; }

  // Returns false, taking nothing, while bytes of the previous slice are still unread.
  bool feed(const char* data, std::size_t len) noexcept;
  ReadStatus next(Frame& frame) noexcept;

  ErrorCode error() const noexcept { return error_; }
  // The stream of the last stream error.
  std::uint32_t error_stream_id() const noexcept { return error_stream_id_; }
  // The capacity of the gathering buffer, for tests of its bound.
  std::size_t buffer_capacity() const noexcept { return buffer_capacity_; }

 private:
  enum class State : std::uint8_t { header, payload, skip, failed };

  ReadStatus check_header() noexcept;
  ReadStatus finish_frame(std::string_view payload, Frame& frame) noexcept;
  ReadStatus fail(ErrorCode code) noexcept;
  ReadStatus stream_fail(ErrorCode code, std::uint32_t stream_id) noexcept;
  bool reserve_buffer(std::size_t size) noexcept;

  const char* input_ = nullptr;
  std::size_t input_left_ = 0;
  State state_ = State::header;
  std::uint32_t max_frame_size_;
  FrameHeader header_;
  char header_bytes_[kFrameHeaderSize] = {};
  std::size_t header_have_ = 0;
  std::size_t payload_have_ = 0;  // gathered, or skipped
  std::unique_ptr<char[]> buffer_;
  std::size_t buffer_capacity_ = 0;
  // The stream whose header block is open: HEADERS or PUSH_PROMISE without END_HEADERS, until
  // a CONTINUATION with it. 0 when none is.
  std::uint32_t header_block_stream_ = 0;
  ErrorCode error_ = ErrorCode::no_error;
  std::uint32_t error_stream_id_ = 0;
};

}  // namespace inferload::http2
