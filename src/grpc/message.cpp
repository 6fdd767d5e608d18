#include "inferload/grpc/message.hpp"

#include <algorithm>
#include <cstring>

namespace inferload::grpc {

void encode_message_prefix(std::uint32_t payload_size, bool compressed, char* out) noexcept {
  out[0] = compressed ? 1 : 0;
  out[1] = static_cast<char>(payload_size >> 24);
  out[2] = static_cast<char>(payload_size >> 16);
  out[3] = static_cast<char>(payload_size >> 8);
  out[4] = static_cast<char>(payload_size);
}

void append_message(std::string_view payload, std::string& out) {
  char prefix[kMessagePrefixSize];
  encode_message_prefix(static_cast<std::uint32_t>(payload.size()), false, prefix);
  out.append(prefix, kMessagePrefixSize);
  out.append(payload);
}

const char* to_string(MessageError error) noexcept {
  switch (error) {
    case MessageError::none: return "none";
    case MessageError::too_large: return "message larger than the receive limit";
    case MessageError::compressed_without_encoding: return "compressed message without a negotiated grpc-encoding";
    case MessageError::bad_flag: return "compressed-flag byte neither 0 nor 1";
    case MessageError::truncated: return "stream ended inside a message";
    case MessageError::undecodable: return "response message could not be decoded";
  }
  return "unknown";
}

StatusCode status_of(MessageError error) noexcept {
  switch (error) {
    case MessageError::none: return StatusCode::ok;
    case MessageError::too_large: return StatusCode::resource_exhausted;
    default: return StatusCode::internal;
  }
}

MessageReader::MessageReader(std::uint32_t max_message_size, bool compression_negotiated) noexcept
    : max_message_size_(max_message_size), compression_negotiated_(compression_negotiated) {}

bool MessageReader::feed(const char* data, std::size_t len) noexcept {
  if (input_left_ != 0) return false;
  input_ = data;
  input_left_ = len;
  return true;
}

ReadStatus MessageReader::fail(MessageError error) noexcept {
  state_ = State::failed;
  error_ = error;
  input_left_ = 0;
  return ReadStatus::error;
}

void MessageReader::reserve_buffer(std::size_t size) {
  if (buffer_capacity_ >= size) return;
  // Grown as bytes arrive, not to the length a prefix announces, so a peer must send what it
  // costs us; doubling spares a reallocation per slightly longer message; the cap keeps the
  // buffer within the limit the caller chose. Left uninitialized: every byte is written first.
  const std::size_t capacity =
      std::min<std::size_t>(std::max({size, 2 * buffer_capacity_, std::size_t{4096}}), max_message_size_);
  std::unique_ptr<char[]> grown(new char[capacity]);
  if (payload_have_ > 0) std::memcpy(grown.get(), buffer_.get(), payload_have_);
  buffer_ = std::move(grown);
  buffer_capacity_ = capacity;
}

// A flag byte that is neither 0 nor 1 means the framing itself is off and the length is noise, so
// it is reported before the limit is checked against that length.
ReadStatus MessageReader::check_prefix(Message& message) noexcept {
  auto flag = static_cast<unsigned char>(prefix_bytes_[0]);
  if (flag > 1) return fail(MessageError::bad_flag);
  auto byte = [this](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(prefix_bytes_[i])); };
  length_ = byte(1) << 24 | byte(2) << 16 | byte(3) << 8 | byte(4);
  if (length_ > max_message_size_) return fail(MessageError::too_large);
  compressed_ = flag == 1;
  if (compressed_ && !compression_negotiated_) return fail(MessageError::compressed_without_encoding);
  prefix_have_ = 0;
  payload_have_ = 0;
  if (length_ == 0) {
    message.payload = {};
    message.compressed = compressed_;
    return ReadStatus::message;
  }
  state_ = State::payload;
  return ReadStatus::need_more;
}

ReadStatus MessageReader::next(Message& message) {
  for (;;) {
    switch (state_) {
      case State::failed:
        return ReadStatus::error;
      case State::prefix: {
        if (input_left_ == 0) return ReadStatus::need_more;
        std::size_t take = std::min(kMessagePrefixSize - prefix_have_, input_left_);
        std::memcpy(prefix_bytes_ + prefix_have_, input_, take);
        prefix_have_ += take;
        input_ += take;
        input_left_ -= take;
        if (prefix_have_ < kMessagePrefixSize) return ReadStatus::need_more;
        ReadStatus status = check_prefix(message);
        if (status != ReadStatus::need_more) return status;
        break;
      }
      case State::payload: {
        if (input_left_ == 0) return ReadStatus::need_more;
        if (payload_have_ == 0 && input_left_ >= length_) {
          message.payload = std::string_view(input_, length_);
          input_ += length_;
          input_left_ -= length_;
        } else {
          std::size_t take = std::min<std::size_t>(length_ - payload_have_, input_left_);
          reserve_buffer(payload_have_ + take);
          std::memcpy(buffer_.get() + payload_have_, input_, take);
          payload_have_ += take;
          input_ += take;
          input_left_ -= take;
          if (payload_have_ < length_) return ReadStatus::need_more;
          message.payload = std::string_view(buffer_.get(), length_);
        }
        message.compressed = compressed_;
        state_ = State::prefix;
        return ReadStatus::message;
      }
    }
  }
}

MessageError MessageReader::finish() noexcept {
  if (state_ == State::failed) return error_;
  if (state_ == State::payload || prefix_have_ != 0 || input_left_ != 0) fail(MessageError::truncated);
  return error_;
}

void MessageReader::reset() noexcept {
  input_ = nullptr;
  input_left_ = 0;
  state_ = State::prefix;
  prefix_have_ = 0;
  compressed_ = false;
  length_ = 0;
  payload_have_ = 0;
  error_ = MessageError::none;
}

}  // namespace inferload::grpc
