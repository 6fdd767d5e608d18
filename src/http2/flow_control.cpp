#include "inferload/http2/flow_control.hpp"

#include <algorithm>

namespace inferload::http2 {

ErrorCode SendWindow::on_window_update(std::uint32_t increment) noexcept {
  const std::int64_t grown = window_ + increment;
  if (grown > kLargestWindowSize) return ErrorCode::flow_control_error;
  window_ = grown;
  return ErrorCode::no_error;
}

ErrorCode SendWindow::on_initial_window_change(std::uint32_t old_initial,
                                               std::uint32_t new_initial) noexcept {
  const std::int64_t moved =
      window_ + (static_cast<std::int64_t>(new_initial) - static_cast<std::int64_t>(old_initial));
  if (moved > kLargestWindowSize) return ErrorCode::flow_control_error;
  window_ = moved;
  return ErrorCode::no_error;
}

std::uint32_t next_data_frame_size(const SendWindow& stream, const SendWindow& connection,
                                   std::uint32_t peer_max_frame_size, std::size_t pending) noexcept {
  const std::uint32_t allowed =
      std::min({stream.available(), connection.available(), peer_max_frame_size});
  return pending < allowed ? static_cast<std::uint32_t>(pending) : allowed;
}

ReceiveWindow::ReceiveWindow(std::uint32_t initial_window,
                             std::uint32_t update_threshold) noexcept
    : initial_window_(std::clamp<std::uint32_t>(initial_window, 1, kLargestWindowSize)),
      update_threshold_(update_threshold == 0
                            ? initial_window_ / 2 + initial_window_ % 2
                            : std::clamp<std::uint32_t>(update_threshold, 1, initial_window_)),
      available_(initial_window_) {}

ErrorCode ReceiveWindow::on_data(std::uint32_t length) noexcept {
  if (length > available_) return ErrorCode::flow_control_error;
  available_ -= length;
  return ErrorCode::no_error;
}

std::uint32_t ReceiveWindow::take_update() noexcept {
  const std::uint32_t increment = unannounced_;
  available_ += increment;
  unannounced_ = 0;
  return increment;
}

}  // namespace inferload::http2
