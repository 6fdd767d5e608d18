#include "inferload/http2/flow_control.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace inferload::http2 {
namespace {

TEST(Http2FlowSendWindow, StartsAtThePeersInitialWindow) {
  EXPECT_EQ(SendWindow{}.available(), 65535u);
  EXPECT_EQ(SendWindow{1u << 20}.available(), 1u << 20);
  EXPECT_EQ(SendWindow{0}.available(), 0u);
}

TEST(Http2FlowSendWindow, ExhaustedThenRefilledByWindowUpdates) {
  SendWindow window;
  window.consume(65000);
  EXPECT_EQ(window.available(), 535u);
  window.consume(535);
  EXPECT_EQ(window.available(), 0u);

  EXPECT_EQ(window.on_window_update(1000), ErrorCode::no_error);
  EXPECT_EQ(window.available(), 1000u);
  EXPECT_EQ(window.on_window_update(64535), ErrorCode::no_error);
  EXPECT_EQ(window.available(), 65535u);
}

TEST(Http2FlowSendWindow, UpdatesMayReachTheLargestWindowButNotPassIt) {
  SendWindow window;
  std::uint32_t left = kLargestWindowSize - kDefaultInitialWindowSize;
  // In the pieces a server would send, the last one landing exactly on 2^31-1.
  while (left > 0) {
    const std::uint32_t increment = left < (1u << 28) ? left : (1u << 28);
    ASSERT_EQ(window.on_window_update(increment), ErrorCode::no_error);
    left -= increment;
  }
  EXPECT_EQ(window.available(), kLargestWindowSize);

  EXPECT_EQ(window.on_window_update(1), ErrorCode::flow_control_error);
  EXPECT_EQ(window.available(), kLargestWindowSize);
  EXPECT_EQ(window.on_window_update(kLargestWindowSize), ErrorCode::flow_control_error);
  EXPECT_EQ(window.available(), kLargestWindowSize);

  window.consume(1);
  EXPECT_EQ(window.on_window_update(1), ErrorCode::no_error);
  EXPECT_EQ(window.available(), kLargestWindowSize);
}

TEST(Http2FlowSendWindow, OneUpdateToTheLargestWindowFromEmpty) {
  SendWindow window{0};
  EXPECT_EQ(window.on_window_update(kLargestWindowSize), ErrorCode::no_error);
  EXPECT_EQ(window.available(), kLargestWindowSize);
}

TEST(Http2FlowSendWindow, ShrinkingInitialWindowGoesNegativeAndUpdatesBringItBack) {
  SendWindow window;
  window.consume(10000);
  ASSERT_EQ(window.on_initial_window_change(65535, 1000), ErrorCode::no_error);
  EXPECT_EQ(window.window(), -9000);
  EXPECT_EQ(window.available(), 0u);

  // Still negative: nothing may be sent.
  ASSERT_EQ(window.on_window_update(8000), ErrorCode::no_error);
  EXPECT_EQ(window.window(), -1000);
  EXPECT_EQ(window.available(), 0u);
  SendWindow connection;
  EXPECT_EQ(next_data_frame_size(window, connection, kDefaultMaxFrameSize, 100), 0u);

  ASSERT_EQ(window.on_window_update(2000), ErrorCode::no_error);
  EXPECT_EQ(window.available(), 1000u);

  ASSERT_EQ(window.on_initial_window_change(1000, 65535), ErrorCode::no_error);
  EXPECT_EQ(window.available(), 65535u);
}

TEST(Http2FlowSendWindow, GrowingInitialWindowPastTheLargestIsAFlowControlError) {
  SendWindow window;
  ASSERT_EQ(window.on_window_update(kLargestWindowSize - 65535 - 10), ErrorCode::no_error);
  EXPECT_EQ(window.available(), kLargestWindowSize - 10);

  EXPECT_EQ(window.on_initial_window_change(65535, 65545), ErrorCode::no_error);
  EXPECT_EQ(window.available(), kLargestWindowSize);
  EXPECT_EQ(window.on_initial_window_change(65545, 65546), ErrorCode::flow_control_error);
  EXPECT_EQ(window.available(), kLargestWindowSize);
}

TEST(Http2FlowNextDataFrame, TakesTheSmallestOfWindowsFrameSizeAndBody) {
  SendWindow stream{20000};
  SendWindow connection{1u << 20};
  EXPECT_EQ(next_data_frame_size(stream, connection, 16384, 1u << 20), 16384u);
  EXPECT_EQ(next_data_frame_size(stream, connection, 32768, 1u << 20), 20000u);
  EXPECT_EQ(next_data_frame_size(stream, connection, 16384, 100), 100u);
  EXPECT_EQ(next_data_frame_size(stream, connection, 16384, 0), 0u);
  SendWindow small_connection{500};
  EXPECT_EQ(next_data_frame_size(stream, small_connection, 16384, 1u << 20), 500u);
}

// Sends a body through both windows; whenever nothing may go out the server returns what it
// has received on the connection, as a WINDOW_UPDATE would. Returns the DATA frame sizes, with
// 0 standing for each wait for an update.
std::vector<std::uint32_t> send_body(std::size_t body, SendWindow& stream, SendWindow& connection,
                                     std::uint32_t max_frame_size) {
  std::vector<std::uint32_t> frames;
  std::uint32_t unreturned = 0;
  std::size_t pending = body;
  while (pending > 0) {
    const std::uint32_t size = next_data_frame_size(stream, connection, max_frame_size, pending);
    frames.push_back(size);
    if (size == 0) {
      if (unreturned == 0) break;  // a stall: no update could ever come
      EXPECT_EQ(connection.on_window_update(unreturned), ErrorCode::no_error);
      unreturned = 0;
      continue;
    }
    stream.consume(size);
    connection.consume(size);
    unreturned += size;
    pending -= size;
  }
  return frames;
}

TEST(Http2FlowNextDataFrame, BodyOf600KiBThroughTheDefaultConnectionWindow) {
  const std::size_t body = 600 * 1024;
  SendWindow stream{1u << 20};
  SendWindow connection;

  std::vector<std::uint32_t> expected;
  for (int window = 0; window < 9; ++window) {
    expected.insert(expected.end(), {16384, 16384, 16384, 16383, 0});
  }
  expected.insert(expected.end(), {16384, 8201});  // 614400 - 9 * 65535 = 24585

  EXPECT_EQ(send_body(body, stream, connection, kDefaultMaxFrameSize), expected);
  EXPECT_EQ(stream.available(), (1u << 20) - body);
  EXPECT_EQ(connection.available(), 65535u - 24585u);
}

TEST(Http2FlowNextDataFrame, StreamWindowHoldsTheBodyBack) {
  SendWindow stream;  // 65535 from the peer's SETTINGS, and never updated below
  SendWindow connection{1u << 20};
  std::vector<std::uint32_t> frames;
  std::size_t pending = 100000;
  while (std::uint32_t size = next_data_frame_size(stream, connection, 16384, pending)) {
    frames.push_back(size);
    stream.consume(size);
    connection.consume(size);
    pending -= size;
  }
  EXPECT_EQ(frames, (std::vector<std::uint32_t>{16384, 16384, 16384, 16383}));
  EXPECT_EQ(pending, 100000u - 65535u);

  ASSERT_EQ(stream.on_window_update(40000), ErrorCode::no_error);
  EXPECT_EQ(next_data_frame_size(stream, connection, 16384, pending), 16384u);
}

TEST(Http2FlowReceiveWindow, PeerMaySendTheWholeWindowButNotOneByteMore) {
  ReceiveWindow window;
  EXPECT_EQ(window.on_data(16384), ErrorCode::no_error);
  EXPECT_EQ(window.on_data(49151), ErrorCode::no_error);
  EXPECT_EQ(window.available(), 0u);
  EXPECT_EQ(window.on_data(1), ErrorCode::flow_control_error);
  EXPECT_EQ(window.available(), 0u);
}

TEST(Http2FlowReceiveWindow, OverrunIsRejectedWithoutCountingIt) {
  ReceiveWindow window{1000};
  ASSERT_EQ(window.on_data(600), ErrorCode::no_error);
  EXPECT_EQ(window.on_data(401), ErrorCode::flow_control_error);
  EXPECT_EQ(window.available(), 400u);
  EXPECT_EQ(window.on_data(400), ErrorCode::no_error);
}

TEST(Http2FlowReceiveWindow, NoUpdateUntilHalfTheWindowIsTaken) {
  ReceiveWindow window;
  EXPECT_EQ(window.update_threshold(), 32768u);
  ASSERT_EQ(window.on_data(40000), ErrorCode::no_error);
  EXPECT_FALSE(window.update_due());  // received, but not taken yet

  window.consumed(32767);
  EXPECT_FALSE(window.update_due());
  window.consumed(1);
  EXPECT_TRUE(window.update_due());

  window.consumed(1000);  // taken before the update went out: it goes in the same one
  EXPECT_EQ(window.take_update(), 33768u);
  EXPECT_FALSE(window.update_due());
  EXPECT_EQ(window.available(), 65535u - 40000u + 33768u);
  EXPECT_EQ(window.take_update(), 0u);
}

TEST(Http2FlowReceiveWindow, ConfiguredThresholdAndLargeWindow) {
  ReceiveWindow window{16u << 20, 4096};
  EXPECT_EQ(window.initial_window(), 16u << 20);
  EXPECT_EQ(window.update_threshold(), 4096u);
  ASSERT_EQ(window.on_data(5000), ErrorCode::no_error);
  window.consumed(4095);
  EXPECT_FALSE(window.update_due());
  window.consumed(905);
  EXPECT_TRUE(window.update_due());
  EXPECT_EQ(window.take_update(), 5000u);
  EXPECT_EQ(window.available(), 16u << 20);
}

TEST(Http2FlowReceiveWindow, ThresholdsAreClampedToTheWindow) {
  EXPECT_EQ(ReceiveWindow(1000, 5000).update_threshold(), 1000u);
  EXPECT_EQ(ReceiveWindow(1).update_threshold(), 1u);
  EXPECT_EQ(ReceiveWindow(0).initial_window(), 1u);
  EXPECT_EQ(ReceiveWindow(0xffffffffu).initial_window(), kLargestWindowSize);
  EXPECT_EQ(ReceiveWindow(0xffffffffu).update_threshold(), 1u << 30);
}

TEST(Http2FlowReceiveWindow, WholeWindowSentAndTakenAlwaysReopensIt) {
  for (std::uint32_t threshold : {0u, 1u, 30000u, 65535u, 1000000u}) {
    ReceiveWindow window{65535, threshold};
    ASSERT_EQ(window.on_data(65535), ErrorCode::no_error);
    window.consumed(65535);
    EXPECT_TRUE(window.update_due()) << "threshold " << threshold;
    EXPECT_EQ(window.take_update(), 65535u);
    EXPECT_EQ(window.available(), 65535u);
  }
}

TEST(Http2FlowReceiveWindow, ManySmallDataFramesGiveFewUpdates) {
  const std::uint32_t initial = 1u << 20;
  ReceiveWindow window{initial};
  const std::uint32_t frame = 1000;
  const int frames = 10000;
  std::uint64_t granted = 0;
  int updates = 0;
  for (int i = 0; i < frames; ++i) {
    ASSERT_EQ(window.on_data(frame), ErrorCode::no_error) << "frame " << i;
    window.consumed(frame);
    if (window.update_due()) {
      const std::uint32_t increment = window.take_update();
      EXPECT_GE(increment, initial / 2);
      granted += increment;
      ++updates;
    }
  }
  // One update per 525 frames (525000 bytes, the first count past half of 1 MiB).
  EXPECT_EQ(updates, frames / 525);
  EXPECT_EQ(granted, std::uint64_t{525000} * updates);
  EXPECT_EQ(window.available(), initial - (std::uint64_t{frame} * frames - granted));
}

}  // namespace
}  // namespace inferload::http2
