#pragma once
// HTTP/2 flow control (RFC 9113 sections 5.2 and 6.9) as arithmetic on window sizes, one object
// per window: the connection has one in each direction, and so does every stream. No I/O: the
// caller feeds in what the frames said and sends the WINDOW_UPDATEs this asks for.
//
// Errors are values, since they are the peer's doing and end as RST_STREAM (a stream window) or
// GOAWAY (the connection window) with the code returned.
#include <cstddef>
#include <cstdint>

#include "inferload/http2/frame.hpp"

namespace inferload::http2 {

// The window every stream and the connection start with until SETTINGS say otherwise; the
// connection window never follows SETTINGS_INITIAL_WINDOW_SIZE, only WINDOW_UPDATE.
inline constexpr std::uint32_t kDefaultInitialWindowSize = 65535;

// What we may still send on the connection or on one stream.
//
// Kept signed and wider than the wire's 31 bits: a SETTINGS_INITIAL_WINDOW_SIZE that shrinks
// below what is already in flight leaves a stream window negative (section 6.9.2), and a sum
// must be seen to pass 2^31-1 before it can be rejected.
class SendWindow {
 public:
  explicit SendWindow(std::uint32_t initial_window = kDefaultInitialWindowSize) noexcept
      : window_(initial_window) {}

  // Never negative: a negative window allows nothing, like an empty one.
  std::uint32_t available() const noexcept {
    return window_ > 0 ? static_cast<std::uint32_t>(window_) : 0;
  }
  std::int64_t window() const noexcept { return window_; }

  // The flow-controlled length of a DATA frame sent (padding included); at most available().
  void consume(std::uint32_t length) noexcept { window_ -= length; }

  // flow_control_error, leaving the window as it was, when it would pass 2^31-1. A zero
  // increment is a protocol error the FrameReader's caller has already dealt with.
  [[nodiscard]] ErrorCode on_window_update(std::uint32_t increment) noexcept;

  // For a stream window, when the peer's SETTINGS_INITIAL_WINDOW_SIZE goes from old_initial to
  // new_initial: the window moves by the difference and may go negative. flow_control_error,
  // leaving the window as it was, when it would pass 2^31-1 (a new_initial above 2^31-1 is
  // rejected with SETTINGS already, and never reaches here in a valid connection).
  [[nodiscard]] ErrorCode on_initial_window_change(std::uint32_t old_initial,
                                                   std::uint32_t new_initial) noexcept;

 private:
  std::int64_t window_;
};

// How many bytes of a body with `pending` bytes left may go out in the next DATA frame: bounded
// by both windows and by the peer's SETTINGS_MAX_FRAME_SIZE. 0 means wait for a WINDOW_UPDATE
// (or for nothing, when nothing is pending). The caller consumes the result from both windows.
std::uint32_t next_data_frame_size(const SendWindow& stream, const SendWindow& connection,
                                   std::uint32_t peer_max_frame_size, std::size_t pending) noexcept;

// What the peer may still send us on the connection or on one stream, and when to give it more.
//
// The window is reopened only by what the application has taken, so a slow reader pushes back
// on the server; and only in batches, once `update_threshold` bytes have been taken, so a
// response of many small DATA frames costs a few WINDOW_UPDATEs rather than one per frame. The
// threshold is at most the initial window, so a peer that has sent the whole window and seen it
// all taken always gets an update and never stalls.
class ReceiveWindow {
 public:
  // initial_window is what our SETTINGS announced (for a stream) or what the connection window
  // was raised to, clamped to 1..2^31-1. update_threshold 0 means half the initial window,
  // rounded up; any other value is clamped to 1..initial_window.
  explicit ReceiveWindow(std::uint32_t initial_window = kDefaultInitialWindowSize,
                         std::uint32_t update_threshold = 0) noexcept;

  // A DATA frame's flow-controlled length (its whole payload, padding included).
  // flow_control_error, counting nothing, when it is more than the peer was allowed to send.
  [[nodiscard]] ErrorCode on_data(std::uint32_t length) noexcept;

  // The application has taken `length` received bytes. Padding and the Pad Length byte are
  // never handed to the application, so the caller reports them as taken at once.
  void consumed(std::uint32_t length) noexcept { unannounced_ += length; }

  bool update_due() const noexcept { return unannounced_ != 0 && unannounced_ >= update_threshold_; }

  // The increment for the WINDOW_UPDATE to send now: everything taken since the last one, which
  // the window counts as granted from here on. 0 (send nothing) when nothing has been taken.
  std::uint32_t take_update() noexcept;

  // What the peer may send before the next WINDOW_UPDATE.
  std::uint32_t available() const noexcept { return available_; }
  std::uint32_t initial_window() const noexcept { return initial_window_; }
  std::uint32_t update_threshold() const noexcept { return update_threshold_; }

 private:
  std::uint32_t initial_window_;
  std::uint32_t update_threshold_;
  std::uint32_t available_;
  // Taken by the application but not yet returned to the peer. Together with available_ and the
  // bytes still waiting for the application it makes up the initial window, so it fits 31 bits.
  std::uint32_t unannounced_ = 0;
};

}  // namespace inferload::http2
