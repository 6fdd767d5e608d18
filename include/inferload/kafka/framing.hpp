#pragma once
// Confluent schema-registry wire format, as SCv2's gateways use it when a registry is
// configured: the magic byte 0x00, the schema id (4 bytes, big-endian), then the message-index
// list of the protobuf schema, which for the file's first message type is the single byte 0x00.
// SCv2's gateways strip exactly these 6 bytes from a value whose first byte is 0.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace inferload::kafka {

inline constexpr std::size_t kFrameBytes = 6;

std::array<char, kFrameBytes> frame_prefix(std::uint32_t schema_id) noexcept;

struct Unframed {
  std::uint32_t schema_id;
  std::string_view payload;
};
// The payload of a framed value, or nothing when `value` is shorter than the prefix, does not
// start with the magic byte or names another message type than the first.
std::optional<Unframed> unframe(std::string_view value) noexcept;

}  // namespace inferload::kafka
