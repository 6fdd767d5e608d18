#include "inferload/http2/frame.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace inferload::http2 {

namespace {

void put_u16(char* p, std::uint32_t v) noexcept {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v);
}
void put_u24(char* p, std::uint32_t v) noexcept {
  p[0] = static_cast<char>(v >> 16);
  put_u16(p + 1, v);
}
void put_u32(char* p, std::uint32_t v) noexcept {
  put_u16(p, v >> 16);
  put_u16(p + 2, v);
}
std::uint32_t byte(const char* p, int i) noexcept { return static_cast<unsigned char>(p[i]); }
std::uint32_t get_u16(const char* p) noexcept { return byte(p, 0) << 8 | byte(p, 1); }
std::uint32_t get_u24(const char* p) noexcept { return byte(p, 0) << 16 | get_u16(p + 1); }
std::uint32_t get_u32(const char* p) noexcept { return get_u16(p) << 16 | get_u16(p + 2); }

char* put_header(char* p, std::uint32_t length, FrameType type, std::uint8_t flags,
                 std::uint32_t stream_id) noexcept {
  encode_frame_header(FrameHeader{length, type, flags, stream_id}, p);
  return p + kFrameHeaderSize;
}

// Every encoder knows its frame's size up front, so one function per frame writes it into
// exactly that many bytes, and the two public forms only decide where those bytes are.
template <class Write>
void append_sized(std::string& out, std::size_t size, const Write& write) {
  const std::size_t old = out.size();
  out.resize(old + size);
  write(out.data() + old);
}
template <class Write>
std::size_t write_sized(std::span<char> out, std::size_t size, const Write& write) noexcept {
  if (out.size() < size) return 0;
  write(out.data());
  return size;
}

auto frame_writer(FrameType type, std::uint8_t flags, std::uint32_t stream_id,
                  std::string_view payload) noexcept {
  return [=](char* p) {
    p = put_header(p, static_cast<std::uint32_t>(payload.size()), type, flags, stream_id);
    if (!payload.empty()) std::memcpy(p, payload.data(), payload.size());
  };
}

auto settings_writer(std::span<const Setting> settings) noexcept {
  return [=](char* p) {
    p = put_header(p, static_cast<std::uint32_t>(settings.size() * 6), FrameType::settings, 0, 0);
    for (const Setting& s : settings) {
      put_u16(p, static_cast<std::uint16_t>(s.id));
      put_u32(p + 2, s.value);
      p += 6;
    }
  };
}

auto ping_writer(std::uint64_t opaque, bool ack) noexcept {
  return [=](char* p) {
    p = put_header(p, 8, FrameType::ping, ack ? flags::ack : 0, 0);
    put_u32(p, static_cast<std::uint32_t>(opaque >> 32));
    put_u32(p + 4, static_cast<std::uint32_t>(opaque));
  };
}

auto u32_writer(FrameType type, std::uint32_t stream_id, std::uint32_t value) noexcept {
  return [=](char* p) { put_u32(put_header(p, 4, type, 0, stream_id), value); };
}

auto goaway_writer(std::uint32_t last_stream_id, ErrorCode code,
                   std::string_view debug_data) noexcept {
  return [=](char* p) {
    p = put_header(p, static_cast<std::uint32_t>(8 + debug_data.size()), FrameType::goaway, 0, 0);
    put_u32(p, last_stream_id & kStreamIdMask);
    put_u32(p + 4, static_cast<std::uint32_t>(code));
    if (!debug_data.empty()) std::memcpy(p + 8, debug_data.data(), debug_data.size());
  };
}

std::uint8_t headers_flags(bool end_stream, bool end_headers) noexcept {
  return static_cast<std::uint8_t>((end_stream ? flags::end_stream : 0) |
                                   (end_headers ? flags::end_headers : 0));
}

std::size_t data_size(std::string_view data, int pad_length) noexcept {
  return kFrameHeaderSize + data.size() + (pad_length < 0 ? 0 : 1 + pad_length);
}

auto data_writer(std::uint32_t stream_id, std::string_view data, bool end_stream,
                 int pad_length) noexcept {
  return [=](char* p) {
    const bool padded = pad_length >= 0;
    const std::size_t length = data_size(data, pad_length) - kFrameHeaderSize;
    const auto frame_flags = static_cast<std::uint8_t>((end_stream ? flags::end_stream : 0) |
                                                       (padded ? flags::padded : 0));
    p = put_header(p, static_cast<std::uint32_t>(length), FrameType::data, frame_flags, stream_id);
    if (padded) *p++ = static_cast<char>(pad_length);
    if (!data.empty()) std::memcpy(p, data.data(), data.size());
    if (padded) std::memset(p + data.size(), 0, static_cast<std::size_t>(pad_length));
  };
}

}  // namespace

const char* to_string(FrameType type) noexcept {
  switch (type) {
    case FrameType::data: return "DATA";
    case FrameType::headers: return "HEADERS";
    case FrameType::priority: return "PRIORITY";
    case FrameType::rst_stream: return "RST_STREAM";
    case FrameType::settings: return "SETTINGS";
    case FrameType::push_promise: return "PUSH_PROMISE";
    case FrameType::ping: return "PING";
    case FrameType::goaway: return "GOAWAY";
    case FrameType::window_update: return "WINDOW_UPDATE";
    case FrameType::continuation: return "CONTINUATION";
  }
  return "unknown";
}

const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::no_error: return "NO_ERROR";
    case ErrorCode::protocol_error: return "PROTOCOL_ERROR";
    case ErrorCode::internal_error: return "INTERNAL_ERROR";
    case ErrorCode::flow_control_error: return "FLOW_CONTROL_ERROR";
    case ErrorCode::settings_timeout: return "SETTINGS_TIMEOUT";
    case ErrorCode::stream_closed: return "STREAM_CLOSED";
    case ErrorCode::frame_size_error: return "FRAME_SIZE_ERROR";
    case ErrorCode::refused_stream: return "REFUSED_STREAM";
    case ErrorCode::cancel: return "CANCEL";
    case ErrorCode::compression_error: return "COMPRESSION_ERROR";
    case ErrorCode::connect_error: return "CONNECT_ERROR";
    case ErrorCode::enhance_your_calm: return "ENHANCE_YOUR_CALM";
    case ErrorCode::inadequate_security: return "INADEQUATE_SECURITY";
    case ErrorCode::http_1_1_required: return "HTTP_1_1_REQUIRED";
  }
  return "UNKNOWN";
}

void encode_frame_header(const FrameHeader& header, char* out) noexcept {
  put_u24(out, header.length);
  out[3] = static_cast<char>(header.type);
  out[4] = static_cast<char>(header.flags);
  put_u32(out + 5, header.stream_id & kStreamIdMask);
}

FrameHeader decode_frame_header(const char* in) noexcept {
  return FrameHeader{get_u24(in), static_cast<FrameType>(byte(in, 3)),
                     static_cast<std::uint8_t>(byte(in, 4)), get_u32(in + 5) & kStreamIdMask};
}

void append_frame(std::string& out, FrameType type, std::uint8_t flags, std::uint32_t stream_id,
                  std::string_view payload) {
  append_sized(out, kFrameHeaderSize + payload.size(),
               frame_writer(type, flags, stream_id, payload));
}
std::size_t write_frame(std::span<char> out, FrameType type, std::uint8_t flags,
                        std::uint32_t stream_id, std::string_view payload) noexcept {
  return write_sized(out, kFrameHeaderSize + payload.size(),
                     frame_writer(type, flags, stream_id, payload));
}

void append_settings(std::string& out, std::span<const Setting> settings) {
  append_sized(out, kFrameHeaderSize + 6 * settings.size(), settings_writer(settings));
}
std::size_t write_settings(std::span<char> out, std::span<const Setting> settings) noexcept {
  return write_sized(out, kFrameHeaderSize + 6 * settings.size(), settings_writer(settings));
}
void append_settings_ack(std::string& out) {
  append_frame(out, FrameType::settings, flags::ack, 0, {});
}
std::size_t write_settings_ack(std::span<char> out) noexcept {
  return write_frame(out, FrameType::settings, flags::ack, 0, {});
}

void append_ping(std::string& out, std::uint64_t opaque, bool ack) {
  append_sized(out, kFrameHeaderSize + 8, ping_writer(opaque, ack));
}
std::size_t write_ping(std::span<char> out, std::uint64_t opaque, bool ack) noexcept {
  return write_sized(out, kFrameHeaderSize + 8, ping_writer(opaque, ack));
}

void append_window_update(std::string& out, std::uint32_t stream_id, std::uint32_t increment) {
  append_sized(out, kFrameHeaderSize + 4,
               u32_writer(FrameType::window_update, stream_id, increment & kStreamIdMask));
}
std::size_t write_window_update(std::span<char> out, std::uint32_t stream_id,
                                std::uint32_t increment) noexcept {
  return write_sized(out, kFrameHeaderSize + 4,
                     u32_writer(FrameType::window_update, stream_id, increment & kStreamIdMask));
}

void append_rst_stream(std::string& out, std::uint32_t stream_id, ErrorCode code) {
  append_sized(out, kFrameHeaderSize + 4,
               u32_writer(FrameType::rst_stream, stream_id, static_cast<std::uint32_t>(code)));
}
std::size_t write_rst_stream(std::span<char> out, std::uint32_t stream_id,
                             ErrorCode code) noexcept {
  return write_sized(out, kFrameHeaderSize + 4,
                     u32_writer(FrameType::rst_stream, stream_id, static_cast<std::uint32_t>(code)));
}

void append_goaway(std::string& out, std::uint32_t last_stream_id, ErrorCode code,
                   std::string_view debug_data) {
  append_sized(out, kFrameHeaderSize + 8 + debug_data.size(),
               goaway_writer(last_stream_id, code, debug_data));
}
std::size_t write_goaway(std::span<char> out, std::uint32_t last_stream_id, ErrorCode code,
                         std::string_view debug_data) noexcept {
  return write_sized(out, kFrameHeaderSize + 8 + debug_data.size(),
                     goaway_writer(last_stream_id, code, debug_data));
}

void append_headers(std::string& out, std::uint32_t stream_id, std::string_view fragment,
                    bool end_stream, bool end_headers) {
  append_frame(out, FrameType::headers, headers_flags(end_stream, end_headers), stream_id,
               fragment);
}
std::size_t write_headers(std::span<char> out, std::uint32_t stream_id, std::string_view fragment,
                          bool end_stream, bool end_headers) noexcept {
  return write_frame(out, FrameType::headers, headers_flags(end_stream, end_headers), stream_id,
                     fragment);
}

void append_continuation(std::string& out, std::uint32_t stream_id, std::string_view fragment,
                         bool end_headers) {
  append_frame(out, FrameType::continuation, headers_flags(false, end_headers), stream_id,
               fragment);
}
std::size_t write_continuation(std::span<char> out, std::uint32_t stream_id,
                               std::string_view fragment, bool end_headers) noexcept {
  return write_frame(out, FrameType::continuation, headers_flags(false, end_headers), stream_id,
                     fragment);
}

void append_data(std::string& out, std::uint32_t stream_id, std::string_view data, bool end_stream,
                 int pad_length) {
  pad_length = std::min(pad_length, 255);
  append_sized(out, data_size(data, pad_length),
               data_writer(stream_id, data, end_stream, pad_length));
}
std::size_t write_data(std::span<char> out, std::uint32_t stream_id, std::string_view data,
                       bool end_stream, int pad_length) noexcept {
  pad_length = std::min(pad_length, 255);
  return write_sized(out, data_size(data, pad_length),
                     data_writer(stream_id, data, end_stream, pad_length));
}

Setting settings_entry(std::string_view payload, std::size_t index) noexcept {
  const char* p = payload.data() + 6 * index;
  return Setting{static_cast<SettingId>(get_u16(p)), get_u32(p + 2)};
}
std::uint64_t ping_opaque(std::string_view payload) noexcept {
  return std::uint64_t{get_u32(payload.data())} << 32 | get_u32(payload.data() + 4);
}
std::uint32_t window_increment(std::string_view payload) noexcept {
  return get_u32(payload.data()) & kStreamIdMask;
}
ErrorCode rst_stream_code(std::string_view payload) noexcept {
  return static_cast<ErrorCode>(get_u32(payload.data()));
}
GoAway decode_goaway(std::string_view payload) noexcept {
  return GoAway{get_u32(payload.data()) & kStreamIdMask,
                static_cast<ErrorCode>(get_u32(payload.data() + 4)), payload.substr(8)};
}

FrameReader::FrameReader(std::uint32_t max_frame_size) noexcept {
  set_max_frame_size(max_frame_size);
}

void FrameReader::set_max_frame_size(std::uint32_t max_frame_size) noexcept {
  max_frame_size_ = std::clamp(max_frame_size, kDefaultMaxFrameSize, kLargestMaxFrameSize);
  // A lowered limit gives the memory back, unless a frame read under the old one is half
  // gathered in it.
  if (buffer_capacity_ > max_frame_size_ && !(state_ == State::payload && payload_have_ > 0)) {
    buffer_.reset();
    buffer_capacity_ = 0;
  }
}

bool FrameReader::feed(const char* data, std::size_t len) noexcept {
  if (input_left_ != 0) return false;
  input_ = data;
  input_left_ = len;
  return true;
}

ReadStatus FrameReader::fail(ErrorCode code) noexcept {
  state_ = State::failed;
  error_ = code;
  error_stream_id_ = 0;
  input_left_ = 0;
  return ReadStatus::connection_error;
}

ReadStatus FrameReader::stream_fail(ErrorCode code, std::uint32_t stream_id) noexcept {
  error_ = code;
  error_stream_id_ = stream_id;
  return ReadStatus::stream_error;
}

bool FrameReader::reserve_buffer(std::size_t size) noexcept {
  if (size <= buffer_capacity_) return true;
  // Doubling keeps the number of allocations logarithmic in the largest frame; the limit
  // keeps a peer from making the buffer larger than any frame it may send.
  const std::size_t capacity =
      std::max(size, std::min<std::size_t>(2 * buffer_capacity_, max_frame_size_));
  std::unique_ptr<char[]> grown(new (std::nothrow) char[capacity]);
  if (!grown) return false;
  buffer_ = std::move(grown);
  buffer_capacity_ = capacity;
  return true;
}

// The checks that need only the header (RFC 9113 section 6, per frame type). The header block
// rule comes first: while one is open, nothing but its CONTINUATION may arrive (section 6.2).
// need_more stands for "no event yet": the payload is read next, or skipped.
ReadStatus FrameReader::check_header() noexcept {
  const FrameHeader& h = header_;
  if (header_block_stream_ != 0 &&
      (h.type != FrameType::continuation || h.stream_id != header_block_stream_)) {
    return fail(ErrorCode::protocol_error);
  }
  if (h.length > max_frame_size_) return fail(ErrorCode::frame_size_error);
  const bool on_connection = h.stream_id == 0;
  const std::uint32_t pad_field = h.has(flags::padded) ? 1 : 0;
  switch (h.type) {
    case FrameType::data:
      if (on_connection) return fail(ErrorCode::protocol_error);
      if (h.length < pad_field) return fail(ErrorCode::frame_size_error);
      break;
    case FrameType::headers:
      if (on_connection) return fail(ErrorCode::protocol_error);
      if (h.length < pad_field + (h.has(flags::priority) ? 5 : 0)) {
        return fail(ErrorCode::frame_size_error);
      }
      break;
    case FrameType::priority:
      if (on_connection) return fail(ErrorCode::protocol_error);
      // Section 6.3: a wrong length here only breaks the one stream.
      if (h.length != 5) {
        state_ = State::skip;
        payload_have_ = 0;
        return stream_fail(ErrorCode::frame_size_error, h.stream_id);
      }
      break;
    case FrameType::rst_stream:
      if (on_connection) return fail(ErrorCode::protocol_error);
      if (h.length != 4) return fail(ErrorCode::frame_size_error);
      break;
    case FrameType::settings:
      if (!on_connection) return fail(ErrorCode::protocol_error);
      if (h.has(flags::ack) ? h.length != 0 : h.length % 6 != 0) {
        return fail(ErrorCode::frame_size_error);
      }
      break;
    case FrameType::push_promise:
      if (on_connection) return fail(ErrorCode::protocol_error);
      if (h.length < pad_field + 4) return fail(ErrorCode::frame_size_error);
      break;
    case FrameType::ping:
      if (!on_connection) return fail(ErrorCode::protocol_error);
      if (h.length != 8) return fail(ErrorCode::frame_size_error);
      break;
    case FrameType::goaway:
      if (!on_connection) return fail(ErrorCode::protocol_error);
      if (h.length < 8) return fail(ErrorCode::frame_size_error);
      break;
    case FrameType::window_update:
      if (h.length != 4) return fail(ErrorCode::frame_size_error);
      break;
    case FrameType::continuation:
      if (on_connection || header_block_stream_ == 0) return fail(ErrorCode::protocol_error);
      break;
    default:
      state_ = State::skip;
      payload_have_ = 0;
      return ReadStatus::need_more;  // nothing to report: next() reads on
  }
  state_ = State::payload;
  payload_have_ = 0;
  return ReadStatus::need_more;
}

// The checks that need the payload, and the view without padding and fixed fields.
ReadStatus FrameReader::finish_frame(std::string_view payload, Frame& frame) noexcept {
  const FrameHeader& h = header_;
  state_ = State::header;
  header_have_ = 0;
  frame.header = h;
  frame.promised_stream_id = 0;
  switch (h.type) {
    case FrameType::data:
    case FrameType::headers:
    case FrameType::push_promise: {
      if (h.has(flags::padded)) {
        const std::size_t pad_length = static_cast<unsigned char>(payload[0]);
        payload.remove_prefix(1);
        const std::size_t fixed = h.type == FrameType::headers && h.has(flags::priority) ? 5
                                  : h.type == FrameType::push_promise                   ? 4
                                                                                        : 0;
        if (pad_length > payload.size() - fixed) return fail(ErrorCode::protocol_error);
        payload.remove_suffix(pad_length);
      }
      if (h.type == FrameType::headers && h.has(flags::priority)) payload.remove_prefix(5);
      if (h.type == FrameType::push_promise) {
        frame.promised_stream_id = get_u32(payload.data()) & kStreamIdMask;
        payload.remove_prefix(4);
      }
      if (h.type != FrameType::data && !h.has(flags::end_headers)) {
        header_block_stream_ = h.stream_id;
      }
      break;
    }
    case FrameType::continuation:
      if (h.has(flags::end_headers)) header_block_stream_ = 0;
      break;
    case FrameType::settings:
      for (std::size_t i = 0; i < settings_count(payload); ++i) {
        const Setting s = settings_entry(payload, i);
        switch (s.id) {
          case SettingId::enable_push:
            if (s.value > 1) return fail(ErrorCode::protocol_error);
            break;
          case SettingId::initial_window_size:
            if (s.value > kLargestWindowSize) return fail(ErrorCode::flow_control_error);
            break;
          case SettingId::max_frame_size:
            if (s.value < kDefaultMaxFrameSize || s.value > kLargestMaxFrameSize) {
              return fail(ErrorCode::protocol_error);
            }
            break;
          default:
            break;  // section 6.5.2: unknown settings are ignored
        }
      }
      break;
    case FrameType::window_update:
      // Section 6.9: a zero increment breaks the stream it is for, or the whole connection.
      if (window_increment(payload) == 0) {
        if (h.stream_id == 0) return fail(ErrorCode::protocol_error);
        return stream_fail(ErrorCode::protocol_error, h.stream_id);
      }
      break;
    default:
      break;
  }
  frame.payload = payload;
  return ReadStatus::frame;
}

ReadStatus FrameReader::next(Frame& frame) noexcept {
  for (;;) {
    switch (state_) {
      case State::failed:
        return ReadStatus::connection_error;
      case State::header: {
        if (header_have_ == 0 && input_left_ >= kFrameHeaderSize) {
          header_ = decode_frame_header(input_);
          input_ += kFrameHeaderSize;
          input_left_ -= kFrameHeaderSize;
        } else {
          const std::size_t n = std::min(kFrameHeaderSize - header_have_, input_left_);
          if (n != 0) std::memcpy(header_bytes_ + header_have_, input_, n);
          header_have_ += n;
          input_ += n;
          input_left_ -= n;
          if (header_have_ < kFrameHeaderSize) return ReadStatus::need_more;
          header_ = decode_frame_header(header_bytes_);
        }
        header_have_ = 0;
        const ReadStatus checked = check_header();
        if (checked != ReadStatus::need_more) return checked;
        break;
      }
      case State::skip: {
        const std::size_t n = std::min<std::size_t>(header_.length - payload_have_, input_left_);
        payload_have_ += n;
        input_ += n;
        input_left_ -= n;
        if (payload_have_ < header_.length) return ReadStatus::need_more;
        state_ = State::header;
        break;
      }
      case State::payload: {
        const std::size_t length = header_.length;
        if (payload_have_ == 0 && input_left_ >= length) {
          const std::string_view payload(input_, length);
          input_ += length;
          input_left_ -= length;
          return finish_frame(payload, frame);
        }
        if (!reserve_buffer(length)) return fail(ErrorCode::internal_error);
        const std::size_t n = std::min(length - payload_have_, input_left_);
        if (n != 0) std::memcpy(buffer_.get() + payload_have_, input_, n);
        payload_have_ += n;
        input_ += n;
        input_left_ -= n;
        if (payload_have_ < length) return ReadStatus::need_more;
        return finish_frame(std::string_view(buffer_.get(), length), frame);
      }
    }
  }
}

}  // namespace inferload::http2
