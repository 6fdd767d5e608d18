#include "inferload/kafka/framing.hpp"

namespace inferload::kafka {

std::array<char, kFrameBytes> frame_prefix(std::uint32_t schema_id) noexcept {
  return {0,
          static_cast<char>(schema_id >> 24),
          static_cast<char>(schema_id >> 16),
          static_cast<char>(schema_id >> 8),
          static_cast<char>(schema_id),
          0};
}

std::optional<Unframed> unframe(std::string_view value) noexcept {
  if (value.size() < kFrameBytes || value[0] != 0 || value[5] != 0) return std::nullopt;
  const auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(value[i])); };
  const std::uint32_t id = byte(1) << 24 | byte(2) << 16 | byte(3) << 8 | byte(4);
  return Unframed{id, value.substr(kFrameBytes)};
}

}  // namespace inferload::kafka
