#include "inferload/http2/frame.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace inferload::http2 {
namespace {

// A frame, or an error event, with its payload copied out of the reader's transient view.
struct Event {
  ReadStatus status;
  FrameHeader header;
  std::string payload;
  std::uint32_t promised_stream_id = 0;
  ErrorCode error = ErrorCode::no_error;
  std::uint32_t error_stream_id = 0;
  bool operator==(const Event&) const = default;
};

void drain(FrameReader& reader, std::vector<Event>& events) {
  Frame frame;
  for (;;) {
    const ReadStatus status = reader.next(frame);
    if (status == ReadStatus::need_more) return;
    Event e{status, {}, {}, 0, ErrorCode::no_error, 0};
    if (status == ReadStatus::frame) {
      e.header = frame.header;
      e.payload = std::string(frame.payload);
      e.promised_stream_id = frame.promised_stream_id;
    } else {
      e.error = reader.error();
      e.error_stream_id = reader.error_stream_id();
    }
    events.push_back(e);
    if (status == ReadStatus::connection_error) return;
  }
}

// Feeds `bytes` in slices cut at `cuts` (increasing offsets).
std::vector<Event> read_split(std::string_view bytes, const std::vector<std::size_t>& cuts,
                              std::uint32_t max_frame_size = kDefaultMaxFrameSize) {
  FrameReader reader(max_frame_size);
  std::vector<Event> events;
  std::size_t at = 0;
  auto give = [&](std::size_t end) {
    // Each slice lives in its own string, so a view kept past its slice would read freed memory
    // (and show up under ASan) instead of silently reading the next slice.
    const std::string slice(bytes.substr(at, end - at));
    EXPECT_TRUE(reader.feed(slice.data(), slice.size()));
    drain(reader, events);
    at = end;
  };
  for (std::size_t cut : cuts) give(cut);
  give(bytes.size());
  return events;
}

std::vector<Event> read_whole(std::string_view bytes,
                              std::uint32_t max_frame_size = kDefaultMaxFrameSize) {
  return read_split(bytes, {}, max_frame_size);
}

Event single(std::string_view bytes) {
  const std::vector<Event> events = read_whole(bytes);
  EXPECT_EQ(events.size(), 1u);
  return events.empty() ? Event{} : events.front();
}

Event connection_error(ErrorCode code) {
  return Event{ReadStatus::connection_error, {}, {}, 0, code, 0};
}

std::string raw(FrameType type, std::uint8_t frame_flags, std::uint32_t stream_id,
                std::string_view payload) {
  std::string out;
  append_frame(out, type, frame_flags, stream_id, payload);
  return out;
}

std::string bytes_of(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST(Http2FrameHeader, EncodesTheRfcLayout) {
  char out[kFrameHeaderSize];
  encode_frame_header(FrameHeader{0x010203, FrameType::headers, 0x25, 0x80000007u}, out);
  EXPECT_EQ(std::string(out, sizeof out), bytes_of({1, 2, 3, 1, 0x25, 0, 0, 0, 7}));
  const FrameHeader back = decode_frame_header(out);
  EXPECT_EQ(back, (FrameHeader{0x010203, FrameType::headers, 0x25, 7}));
}

TEST(Http2FrameHeader, DecodingIgnoresTheReservedBit) {
  const std::string in = bytes_of({0, 0, 0, 0, 0, 0x80, 0, 0, 1});
  EXPECT_EQ(decode_frame_header(in.data()).stream_id, 1u);
}

TEST(Http2FrameHeader, PrefaceIsTheRfcString) {
  EXPECT_EQ(kClientPreface.size(), 24u);
  EXPECT_EQ(kClientPreface, std::string_view("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
}

TEST(Http2FrameHeader, NamesTypesAndCodes) {
  EXPECT_STREQ(to_string(FrameType::window_update), "WINDOW_UPDATE");
  EXPECT_STREQ(to_string(static_cast<FrameType>(0x42)), "unknown");
  EXPECT_FALSE(is_known(static_cast<FrameType>(0xa)));
  EXPECT_TRUE(is_known(FrameType::continuation));
  EXPECT_STREQ(to_string(ErrorCode::frame_size_error), "FRAME_SIZE_ERROR");
  EXPECT_EQ(static_cast<std::uint32_t>(ErrorCode::http_1_1_required), 0xdu);
  EXPECT_STREQ(to_string(static_cast<ErrorCode>(0x99)), "UNKNOWN");
}

TEST(Http2FrameRoundTrip, Settings) {
  const std::array<Setting, 3> settings{{{SettingId::enable_push, 0},
                                         {SettingId::initial_window_size, kLargestWindowSize},
                                         {SettingId::max_frame_size, kLargestMaxFrameSize}}};
  std::string out;
  append_settings(out, settings);
  EXPECT_EQ(out.substr(0, 9), bytes_of({0, 0, 18, 4, 0, 0, 0, 0, 0}));
  const Event e = single(out);
  ASSERT_EQ(e.status, ReadStatus::frame);
  EXPECT_EQ(e.header, (FrameHeader{18, FrameType::settings, 0, 0}));
  ASSERT_EQ(settings_count(e.payload), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(settings_entry(e.payload, i), settings[i]);
}

TEST(Http2FrameRoundTrip, SettingsAck) {
  std::string out;
  append_settings_ack(out);
  EXPECT_EQ(out, bytes_of({0, 0, 0, 4, 1, 0, 0, 0, 0}));
  const Event e = single(out);
  ASSERT_EQ(e.status, ReadStatus::frame);
  EXPECT_TRUE(e.header.has(flags::ack));
  EXPECT_TRUE(e.payload.empty());
}

TEST(Http2FrameRoundTrip, PingAndPingAck) {
  for (bool ack : {false, true}) {
    std::string out;
    append_ping(out, 0x0102030405060708ull, ack);
    EXPECT_EQ(out.substr(9), bytes_of({1, 2, 3, 4, 5, 6, 7, 8}));
    const Event e = single(out);
    ASSERT_EQ(e.status, ReadStatus::frame);
    EXPECT_EQ(e.header, (FrameHeader{8, FrameType::ping, ack ? flags::ack : std::uint8_t{0}, 0}));
    EXPECT_EQ(ping_opaque(e.payload), 0x0102030405060708ull);
  }
}

TEST(Http2FrameRoundTrip, WindowUpdate) {
  for (std::uint32_t stream : {0u, 3u}) {
    std::string out;
    append_window_update(out, stream, kLargestWindowSize);
    const Event e = single(out);
    ASSERT_EQ(e.status, ReadStatus::frame);
    EXPECT_EQ(e.header, (FrameHeader{4, FrameType::window_update, 0, stream}));
    EXPECT_EQ(window_increment(e.payload), kLargestWindowSize);
  }
}

TEST(Http2FrameRoundTrip, RstStream) {
  std::string out;
  append_rst_stream(out, 5, ErrorCode::cancel);
  const Event e = single(out);
  ASSERT_EQ(e.status, ReadStatus::frame);
  EXPECT_EQ(e.header, (FrameHeader{4, FrameType::rst_stream, 0, 5}));
  EXPECT_EQ(rst_stream_code(e.payload), ErrorCode::cancel);
}

TEST(Http2FrameRoundTrip, GoAway) {
  std::string out;
  append_goaway(out, 0x7fffffff, ErrorCode::enhance_your_calm, "slow down");
  const Event e = single(out);
  ASSERT_EQ(e.status, ReadStatus::frame);
  EXPECT_EQ(e.header, (FrameHeader{17, FrameType::goaway, 0, 0}));
  const GoAway g = decode_goaway(e.payload);
  EXPECT_EQ(g.last_stream_id, 0x7fffffffu);
  EXPECT_EQ(g.code, ErrorCode::enhance_your_calm);
  EXPECT_EQ(g.debug_data, "slow down");
}

TEST(Http2FrameRoundTrip, HeadersAndContinuation) {
  std::string out;
  append_headers(out, 1, "frag1", false, false);
  append_continuation(out, 1, "frag2", false);
  append_continuation(out, 1, "frag3", true);
  append_headers(out, 3, "whole", true, true);
  const std::vector<Event> events = read_whole(out);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].header, (FrameHeader{5, FrameType::headers, 0, 1}));
  EXPECT_EQ(events[0].payload, "frag1");
  EXPECT_EQ(events[1].header, (FrameHeader{5, FrameType::continuation, 0, 1}));
  EXPECT_EQ(events[2].header, (FrameHeader{5, FrameType::continuation, flags::end_headers, 1}));
  EXPECT_EQ(events[2].payload, "frag3");
  EXPECT_EQ(events[3].header,
            (FrameHeader{5, FrameType::headers, flags::end_stream | flags::end_headers, 3}));
  EXPECT_EQ(events[3].payload, "whole");
}

TEST(Http2FrameRoundTrip, HeadersWithPaddingAndPriorityGiveTheFragmentOnly) {
  // Pad Length 2, then the 5 priority bytes, the fragment and the padding.
  const std::string payload = bytes_of({2, 0, 0, 0, 1, 16}) + "abc" + bytes_of({0, 0});
  const Event e = single(raw(FrameType::headers,
                             flags::padded | flags::priority | flags::end_headers, 1, payload));
  ASSERT_EQ(e.status, ReadStatus::frame);
  EXPECT_EQ(e.header.length, payload.size());
  EXPECT_EQ(e.payload, "abc");
}

TEST(Http2FrameRoundTrip, Data) {
  std::string out;
  append_data(out, 1, "hello", true);
  const Event e = single(out);
  ASSERT_EQ(e.status, ReadStatus::frame);
  EXPECT_EQ(e.header, (FrameHeader{5, FrameType::data, flags::end_stream, 1}));
  EXPECT_EQ(e.payload, "hello");
}

TEST(Http2FrameRoundTrip, DataWithPaddingIsStripped) {
  for (int pad : {0, 1, 7, 255}) {
    std::string out;
    append_data(out, 9, "body", false, pad);
    ASSERT_EQ(out.size(), 9u + 1 + 4 + pad);
    EXPECT_EQ(out[9], static_cast<char>(pad));
    const Event e = single(out);
    ASSERT_EQ(e.status, ReadStatus::frame);
    EXPECT_EQ(e.header, (FrameHeader{static_cast<std::uint32_t>(5 + pad), FrameType::data,
                                     flags::padded, 9}));
    EXPECT_EQ(e.payload, "body");
  }
}

TEST(Http2FrameRoundTrip, Priority) {
  const Event e = single(raw(FrameType::priority, 0, 3, bytes_of({0, 0, 0, 1, 200})));
  ASSERT_EQ(e.status, ReadStatus::frame);
  EXPECT_EQ(e.header, (FrameHeader{5, FrameType::priority, 0, 3}));
  EXPECT_EQ(e.payload, bytes_of({0, 0, 0, 1, 200}));
}

TEST(Http2FrameRoundTrip, PushPromiseGivesThePromisedStreamAndFragment) {
  const std::string payload = bytes_of({1, 0x80, 0, 0, 2}) + "hb" + bytes_of({0});
  const Event e =
      single(raw(FrameType::push_promise, flags::padded | flags::end_headers, 1, payload));
  ASSERT_EQ(e.status, ReadStatus::frame);
  EXPECT_EQ(e.promised_stream_id, 2u);
  EXPECT_EQ(e.payload, "hb");
}

TEST(Http2FrameRoundTrip, UnknownTypesAreSkipped) {
  std::string out = raw(static_cast<FrameType>(0xbe), 0xff, 0, "extension payload");
  append_ping(out, 42);
  append_frame(out, static_cast<FrameType>(0x10), 0, 7, {});
  const std::vector<Event> events = read_whole(out);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].header.type, FrameType::ping);
  // Skipping reads nothing into the buffer, even when the frame is split.
  FrameReader reader;
  const std::string big = raw(static_cast<FrameType>(0xbe), 0, 0, std::string(10000, 'x'));
  ASSERT_TRUE(reader.feed(big.data(), 100));
  Frame f;
  EXPECT_EQ(reader.next(f), ReadStatus::need_more);
  ASSERT_TRUE(reader.feed(big.data() + 100, big.size() - 100));
  EXPECT_EQ(reader.next(f), ReadStatus::need_more);
  EXPECT_EQ(reader.buffer_capacity(), 0u);
}

TEST(Http2FrameWriteSpan, WritesTheSameBytesAsAppend) {
  const std::array<Setting, 1> settings{{{SettingId::max_concurrent_streams, 100}}};
  std::string expected;
  append_settings(expected, settings);
  append_settings_ack(expected);
  append_ping(expected, 7, true);
  append_window_update(expected, 1, 1000);
  append_rst_stream(expected, 1, ErrorCode::refused_stream);
  append_goaway(expected, 1, ErrorCode::no_error, "bye");
  append_headers(expected, 1, "hpack", false, false);
  append_continuation(expected, 1, "more", true);
  append_data(expected, 1, "payload", true, 3);
  append_frame(expected, FrameType::priority, 0, 1, bytes_of({0, 0, 0, 0, 15}));

  std::array<char, 512> buffer{};
  std::span<char> rest(buffer);
  auto take = [&](std::size_t n) {
    ASSERT_GT(n, 0u);
    rest = rest.subspan(n);
  };
  take(write_settings(rest, settings));
  take(write_settings_ack(rest));
  take(write_ping(rest, 7, true));
  take(write_window_update(rest, 1, 1000));
  take(write_rst_stream(rest, 1, ErrorCode::refused_stream));
  take(write_goaway(rest, 1, ErrorCode::no_error, "bye"));
  take(write_headers(rest, 1, "hpack", false, false));
  take(write_continuation(rest, 1, "more", true));
  take(write_data(rest, 1, "payload", true, 3));
  take(write_frame(rest, FrameType::priority, 0, 1, bytes_of({0, 0, 0, 0, 15})));
  EXPECT_EQ(std::string(buffer.data(), buffer.size() - rest.size()), expected);
}

TEST(Http2FrameWriteSpan, ReturnsZeroAndWritesNothingWhenTooSmall) {
  std::array<char, 17> buffer;
  buffer.fill('#');
  const std::span<char> short_by_one(buffer.data(), 16);
  EXPECT_EQ(write_ping(short_by_one, 1), 0u);
  EXPECT_EQ(write_data(short_by_one, 1, "12345678", false), 0u);
  EXPECT_EQ(write_settings_ack(short_by_one.first(8)), 0u);
  EXPECT_EQ(std::string(buffer.data(), buffer.size()), std::string(17, '#'));
  EXPECT_EQ(write_ping(buffer, 1), 17u);
}

TEST(Http2FrameAppend, DoesNotAllocateWithinCapacity) {
  std::string out;
  out.reserve(4096);
  const char* data = out.data();
  for (int i = 0; i < 50; ++i) {
    out.clear();
    append_headers(out, 1, "fragment", false, true);
    append_data(out, 1, std::string_view("0123456789abcdef"), true);
    append_window_update(out, 0, 65535);
  }
  EXPECT_EQ(out.data(), data);
}

// Several frames of every kind the reader yields, one header block spread over three frames.
std::string mixed_stream() {
  std::string out;
  const std::array<Setting, 2> settings{{{SettingId::header_table_size, 4096},
                                         {static_cast<SettingId>(0x99), 12345}}};
  append_settings(out, settings);
  append_settings_ack(out);
  append_window_update(out, 0, 1 << 20);
  append_headers(out, 1, "abcdefghij", false, false);
  append_continuation(out, 1, "klm", false);
  append_continuation(out, 1, "nopq", true);
  append_data(out, 1, std::string(300, 'd'), false, 17);
  append_frame(out, static_cast<FrameType>(0x20), 0, 1, "ignored");
  append_data(out, 1, {}, true);
  append_ping(out, 0xdeadbeefcafef00dull);
  append_frame(out, FrameType::priority, 0, 3, bytes_of({0, 0, 0, 1, 5}));
  append_rst_stream(out, 3, ErrorCode::stream_closed);
  append_goaway(out, 1, ErrorCode::no_error, "done");
  return out;
}

TEST(Http2FrameReader, EverySplitGivesTheSameFrames) {
  const std::string stream = mixed_stream();
  const std::vector<Event> whole = read_whole(stream);
  ASSERT_EQ(whole.size(), 12u);
  for (const Event& e : whole) EXPECT_EQ(e.status, ReadStatus::frame);
  EXPECT_EQ(whole[6].payload, std::string(300, 'd'));

  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < stream.size(); ++i) every_byte.push_back(i);
  EXPECT_EQ(read_split(stream, every_byte), whole);

  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    ASSERT_EQ(read_split(stream, {cut}), whole) << "cut at " << cut;
  }
  for (std::size_t a = 0; a <= stream.size(); a += 7) {
    for (std::size_t b = a; b <= stream.size(); b += 13) {
      ASSERT_EQ(read_split(stream, {a, b}), whole) << "cuts at " << a << ", " << b;
    }
  }
}

TEST(Http2FrameReader, EmptyFeedsAreHarmless) {
  const std::string stream = mixed_stream();
  EXPECT_EQ(read_split(stream, {0, 0, 5, 5, 9, 9, 9}), read_whole(stream));
}

TEST(Http2FrameReader, RefusesAFeedWhileTheLastOneIsUnread) {
  std::string out;
  append_ping(out, 1);
  append_ping(out, 2);
  FrameReader reader;
  ASSERT_TRUE(reader.feed(out.data(), out.size()));
  Frame f;
  ASSERT_EQ(reader.next(f), ReadStatus::frame);
  EXPECT_FALSE(reader.feed(out.data(), out.size()));
  ASSERT_EQ(reader.next(f), ReadStatus::frame);
  EXPECT_EQ(ping_opaque(f.payload), 2u);
  EXPECT_EQ(reader.next(f), ReadStatus::need_more);
  EXPECT_TRUE(reader.feed(out.data(), out.size()));
}

TEST(Http2FrameReader, AFrameInOneFeedIsViewedInPlace) {
  std::string out;
  append_data(out, 1, "in place", false);
  FrameReader reader;
  ASSERT_TRUE(reader.feed(out.data(), out.size()));
  Frame f;
  ASSERT_EQ(reader.next(f), ReadStatus::frame);
  EXPECT_EQ(f.payload.data(), out.data() + 9);
  EXPECT_EQ(reader.buffer_capacity(), 0u);
}

TEST(Http2FrameReader, FrameAtTheLimitPassesOneByteOverFails) {
  for (std::uint32_t limit : {kDefaultMaxFrameSize, 100000u}) {
    std::string at_limit;
    append_data(at_limit, 1, std::string(limit, 'a'), false);
    std::string over;
    append_data(over, 1, std::string(limit + 1, 'a'), false);

    const std::vector<Event> whole = read_whole(at_limit, limit);
    ASSERT_EQ(whole.size(), 1u);
    EXPECT_EQ(whole[0].header.length, limit);
    // Split, so the payload is gathered: the buffer never grows past the limit.
    FrameReader reader(limit);
    std::vector<Event> events;
    for (std::size_t at = 0; at < at_limit.size(); at += 1000) {
      const std::size_t n = std::min<std::size_t>(1000, at_limit.size() - at);
      ASSERT_TRUE(reader.feed(at_limit.data() + at, n));
      drain(reader, events);
    }
    EXPECT_EQ(events, whole);
    EXPECT_LE(reader.buffer_capacity(), limit);
    // The error comes from the header alone, before any of the payload arrives.
    EXPECT_EQ(read_whole(std::string_view(over).substr(0, 9), limit),
              std::vector<Event>{connection_error(ErrorCode::frame_size_error)});
    EXPECT_EQ(read_whole(over, limit),
              std::vector<Event>{connection_error(ErrorCode::frame_size_error)});
  }
}

TEST(Http2FrameReader, MaxFrameSizeIsClampedAndShrinkingFreesTheBuffer) {
  FrameReader reader(1);
  EXPECT_EQ(reader.max_frame_size(), kDefaultMaxFrameSize);
  reader.set_max_frame_size(0xffffffffu);
  EXPECT_EQ(reader.max_frame_size(), kLargestMaxFrameSize);
  std::string out;
  append_data(out, 1, std::string(100000, 'z'), false);
  ASSERT_TRUE(reader.feed(out.data(), 10));
  Frame f;
  EXPECT_EQ(reader.next(f), ReadStatus::need_more);
  ASSERT_TRUE(reader.feed(out.data() + 10, out.size() - 10));
  ASSERT_EQ(reader.next(f), ReadStatus::frame);
  EXPECT_EQ(f.payload, std::string(100000, 'z'));
  EXPECT_GE(reader.buffer_capacity(), 100000u);
  reader.set_max_frame_size(kDefaultMaxFrameSize);
  EXPECT_EQ(reader.buffer_capacity(), 0u);
}

TEST(Http2FrameReader, SteadyStateReusesTheBuffer) {
  std::string out;
  append_data(out, 1, std::string(5000, 'q'), false);
  FrameReader reader;
  Frame f;
  std::size_t capacity = 0;
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(reader.feed(out.data(), 3000));
    ASSERT_EQ(reader.next(f), ReadStatus::need_more);
    ASSERT_TRUE(reader.feed(out.data() + 3000, out.size() - 3000));
    ASSERT_EQ(reader.next(f), ReadStatus::frame);
    ASSERT_EQ(reader.next(f), ReadStatus::need_more);
    if (round == 0) capacity = reader.buffer_capacity();
    EXPECT_EQ(reader.buffer_capacity(), capacity);
  }
  EXPECT_EQ(capacity, 5000u);
}

TEST(Http2FrameValidation, StreamZeroRules) {
  for (FrameType type : {FrameType::data, FrameType::headers, FrameType::priority,
                         FrameType::rst_stream, FrameType::push_promise}) {
    const std::string payload = type == FrameType::priority ? std::string(5, '\0')
                                : type == FrameType::rst_stream || type == FrameType::push_promise
                                    ? std::string(4, '\0')
                                    : std::string();
    EXPECT_EQ(single(raw(type, flags::end_headers, 0, payload)),
              connection_error(ErrorCode::protocol_error))
        << to_string(type);
  }
  std::string continuation = raw(FrameType::headers, 0, 1, "a");
  append_continuation(continuation, 0, "b", true);
  EXPECT_EQ(read_whole(continuation).back(), connection_error(ErrorCode::protocol_error));

  for (FrameType type : {FrameType::settings, FrameType::ping, FrameType::goaway}) {
    const std::string payload = type == FrameType::settings ? "" : std::string(8, '\0');
    EXPECT_EQ(single(raw(type, 0, 1, payload)), connection_error(ErrorCode::protocol_error))
        << to_string(type);
  }
}

TEST(Http2FrameValidation, FixedLengths) {
  const Event fse = connection_error(ErrorCode::frame_size_error);
  for (std::size_t n : {0, 7, 9}) EXPECT_EQ(single(raw(FrameType::ping, 0, 0, std::string(n, 'p'))), fse);
  for (std::size_t n : {0, 3, 5}) {
    EXPECT_EQ(single(raw(FrameType::window_update, 0, 0, std::string(n, '\1'))), fse);
    EXPECT_EQ(single(raw(FrameType::window_update, 0, 1, std::string(n, '\1'))), fse);
    EXPECT_EQ(single(raw(FrameType::rst_stream, 0, 1, std::string(n, '\1'))), fse);
  }
  for (std::size_t n : {1, 5, 7, 13}) {
    EXPECT_EQ(single(raw(FrameType::settings, 0, 0, std::string(n, '\0'))), fse);
  }
  for (std::size_t n : {1, 6}) {
    EXPECT_EQ(single(raw(FrameType::settings, flags::ack, 0, std::string(n, '\0'))), fse);
  }
  EXPECT_EQ(single(raw(FrameType::goaway, 0, 0, std::string(7, '\0'))), fse);
  EXPECT_EQ(single(raw(FrameType::push_promise, flags::end_headers, 1, "abc")), fse);
}

TEST(Http2FrameValidation, PriorityOfTheWrongLengthIsAStreamError) {
  std::string out = raw(FrameType::priority, 0, 5, "1234");
  append_ping(out, 3);
  for (const std::vector<std::size_t>& cuts :
       {std::vector<std::size_t>{}, std::vector<std::size_t>{9}, std::vector<std::size_t>{11}}) {
    const std::vector<Event> events = read_split(out, cuts);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0], (Event{ReadStatus::stream_error, {}, {}, 0, ErrorCode::frame_size_error, 5}));
    EXPECT_EQ(events[1].header.type, FrameType::ping);
  }
}

TEST(Http2FrameValidation, PaddingLongerThanThePayload) {
  const Event pe = connection_error(ErrorCode::protocol_error);
  // DATA: Pad Length may use up everything after itself, and not one byte more.
  EXPECT_EQ(single(raw(FrameType::data, flags::padded, 1, bytes_of({3, 0, 0, 0}))).payload, "");
  EXPECT_EQ(single(raw(FrameType::data, flags::padded, 1, bytes_of({4, 0, 0, 0}))), pe);
  EXPECT_EQ(single(raw(FrameType::data, flags::padded, 1, bytes_of({255}))), pe);
  // No room for the Pad Length field itself.
  EXPECT_EQ(single(raw(FrameType::data, flags::padded, 1, "")),
            connection_error(ErrorCode::frame_size_error));
  // HEADERS: the priority fields are not padding.
  EXPECT_EQ(single(raw(FrameType::headers, flags::padded | flags::priority | flags::end_headers,
                       1, bytes_of({1, 0, 0, 0, 0, 0, 0})))
                .status,
            ReadStatus::frame);
  EXPECT_EQ(single(raw(FrameType::headers, flags::padded | flags::priority | flags::end_headers,
                       1, bytes_of({2, 0, 0, 0, 0, 0, 0}))),
            pe);
  EXPECT_EQ(single(raw(FrameType::headers, flags::priority | flags::end_headers, 1, "1234")),
            connection_error(ErrorCode::frame_size_error));
  EXPECT_EQ(single(raw(FrameType::headers, flags::padded | flags::end_headers, 1,
                       bytes_of({2, 'x'}))),
            pe);
  // PUSH_PROMISE: nor is the promised stream id.
  EXPECT_EQ(single(raw(FrameType::push_promise, flags::padded | flags::end_headers, 1,
                       bytes_of({1, 0, 0, 0, 2}))),
            pe);
}

TEST(Http2FrameValidation, WindowUpdateOfZero) {
  std::string out;
  append_window_update(out, 7, 0);
  append_window_update(out, 7, 1);
  const std::vector<Event> events = read_whole(out);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], (Event{ReadStatus::stream_error, {}, {}, 0, ErrorCode::protocol_error, 7}));
  EXPECT_EQ(events[1].status, ReadStatus::frame);

  std::string on_connection;
  append_window_update(on_connection, 0, 0);
  append_ping(on_connection, 1);
  EXPECT_EQ(read_whole(on_connection),
            std::vector<Event>{connection_error(ErrorCode::protocol_error)});
  // Only the reserved bit set: still an increment of 0.
  EXPECT_EQ(single(raw(FrameType::window_update, 0, 0, bytes_of({0x80, 0, 0, 0}))),
            connection_error(ErrorCode::protocol_error));
}

TEST(Http2FrameValidation, ContinuationSequencing) {
  const Event pe = connection_error(ErrorCode::protocol_error);
  // No open header block.
  std::string lone;
  append_continuation(lone, 1, "x", true);
  EXPECT_EQ(single(lone), pe);
  std::string after_end;
  append_headers(after_end, 1, "a", false, true);
  append_continuation(after_end, 1, "x", true);
  EXPECT_EQ(read_whole(after_end).back(), pe);

  std::string open;
  append_headers(open, 1, "a", false, false);
  auto after_open = [&](const std::string& next) {
    const std::vector<Event> events = read_whole(open + next);
    EXPECT_EQ(events.size(), 2u);
    return events.back();
  };
  std::string other_stream;
  append_continuation(other_stream, 3, "x", true);
  EXPECT_EQ(after_open(other_stream), pe);
  std::string ping;
  append_ping(ping, 1);
  EXPECT_EQ(after_open(ping), pe);
  std::string data;
  append_data(data, 1, "x", false);
  EXPECT_EQ(after_open(data), pe);
  EXPECT_EQ(after_open(raw(static_cast<FrameType>(0x33), 0, 1, "")), pe);

  std::string push = raw(FrameType::push_promise, 0, 1, bytes_of({0, 0, 0, 2}));
  append_settings_ack(push);
  EXPECT_EQ(read_whole(push).back(), pe);
}

TEST(Http2FrameValidation, SettingsValues) {
  auto settings_event = [](SettingId id, std::uint32_t value) {
    const std::array<Setting, 2> s{{{SettingId::header_table_size, 0}, {id, value}}};
    std::string out;
    append_settings(out, s);
    return single(out);
  };
  EXPECT_EQ(settings_event(SettingId::enable_push, 0).status, ReadStatus::frame);
  EXPECT_EQ(settings_event(SettingId::enable_push, 1).status, ReadStatus::frame);
  EXPECT_EQ(settings_event(SettingId::enable_push, 2), connection_error(ErrorCode::protocol_error));
  EXPECT_EQ(settings_event(SettingId::initial_window_size, kLargestWindowSize).status,
            ReadStatus::frame);
  EXPECT_EQ(settings_event(SettingId::initial_window_size, kLargestWindowSize + 1),
            connection_error(ErrorCode::flow_control_error));
  EXPECT_EQ(settings_event(SettingId::max_frame_size, 16384).status, ReadStatus::frame);
  EXPECT_EQ(settings_event(SettingId::max_frame_size, kLargestMaxFrameSize).status,
            ReadStatus::frame);
  EXPECT_EQ(settings_event(SettingId::max_frame_size, 16383),
            connection_error(ErrorCode::protocol_error));
  EXPECT_EQ(settings_event(SettingId::max_frame_size, kLargestMaxFrameSize + 1),
            connection_error(ErrorCode::protocol_error));
  EXPECT_EQ(settings_event(static_cast<SettingId>(0xabcd), 0xffffffffu).status,
            ReadStatus::frame);
}

TEST(Http2FrameValidation, AConnectionErrorIsFinal) {
  FrameReader reader;
  std::string bad;
  append_ping(bad, 1);
  bad[8] = 1;  // PING on stream 1
  ASSERT_TRUE(reader.feed(bad.data(), bad.size()));
  Frame f;
  EXPECT_EQ(reader.next(f), ReadStatus::connection_error);
  std::string good;
  append_ping(good, 1);
  EXPECT_TRUE(reader.feed(good.data(), good.size()));
  EXPECT_EQ(reader.next(f), ReadStatus::connection_error);
  EXPECT_EQ(reader.error(), ErrorCode::protocol_error);
}

// Random valid frames of every yielded type, read back whole and at random splits.
TEST(Http2FrameRandomized, RoundTripsWithAFixedSeed) {
  std::mt19937 rng(20261201);
  auto uniform = [&](std::uint32_t lo, std::uint32_t hi) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng);
  };
  auto random_bytes = [&](std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(uniform(0, 255));
    return s;
  };
  for (int round = 0; round < 200; ++round) {
    std::string stream;
    std::vector<Event> expected;
    auto expect = [&](FrameType type, std::uint8_t frame_flags, std::uint32_t stream_id,
                      std::string payload, std::size_t wire_size) {
      expected.push_back(Event{ReadStatus::frame,
                               FrameHeader{static_cast<std::uint32_t>(wire_size - 9), type,
                                           frame_flags, stream_id},
                               std::move(payload), 0, ErrorCode::no_error, 0});
    };
    const int frames = static_cast<int>(uniform(1, 12));
    for (int i = 0; i < frames; ++i) {
      const std::size_t before = stream.size();
      const std::uint32_t stream_id = uniform(1, kStreamIdMask);
      switch (uniform(0, 7)) {
        case 0: {
          std::vector<Setting> settings(uniform(0, 5));
          for (Setting& s : settings) s = {SettingId::max_concurrent_streams, uniform(0, ~0u)};
          append_settings(stream, settings);
          expect(FrameType::settings, 0, 0, stream.substr(before + 9), stream.size() - before);
          break;
        }
        case 1: {
          const bool ack = uniform(0, 1) == 1;
          const std::uint64_t opaque = std::uint64_t{uniform(0, ~0u)} << 32 | uniform(0, ~0u);
          append_ping(stream, opaque, ack);
          expect(FrameType::ping, ack ? flags::ack : 0, 0, stream.substr(before + 9), 17);
          break;
        }
        case 2: {
          const std::uint32_t target = uniform(0, 1) ? stream_id : 0;
          append_window_update(stream, target, uniform(1, kLargestWindowSize));
          expect(FrameType::window_update, 0, target, stream.substr(before + 9), 13);
          break;
        }
        case 3:
          append_rst_stream(stream, stream_id, static_cast<ErrorCode>(uniform(0, 13)));
          expect(FrameType::rst_stream, 0, stream_id, stream.substr(before + 9), 13);
          break;
        case 4: {
          append_goaway(stream, stream_id, ErrorCode::no_error, random_bytes(uniform(0, 40)));
          expect(FrameType::goaway, 0, 0, stream.substr(before + 9), stream.size() - before);
          break;
        }
        case 5: {
          const int pieces = static_cast<int>(uniform(1, 3));
          const bool end_stream = uniform(0, 1) == 1;
          for (int p = 0; p < pieces; ++p) {
            const std::size_t at = stream.size();
            std::string fragment = random_bytes(uniform(0, 300));
            const bool last = p == pieces - 1;
            if (p == 0) {
              append_headers(stream, stream_id, fragment, end_stream, last);
              expect(FrameType::headers,
                     static_cast<std::uint8_t>((end_stream ? flags::end_stream : 0) |
                                               (last ? flags::end_headers : 0)),
                     stream_id, fragment, stream.size() - at);
            } else {
              append_continuation(stream, stream_id, fragment, last);
              expect(FrameType::continuation, last ? flags::end_headers : 0, stream_id, fragment,
                     stream.size() - at);
            }
          }
          break;
        }
        case 6:
        case 7: {
          std::string data = random_bytes(uniform(0, 20000) % kDefaultMaxFrameSize);
          const int pad = data.size() + 256 <= kDefaultMaxFrameSize && uniform(0, 1)
                              ? static_cast<int>(uniform(0, 255))
                              : -1;
          const bool end_stream = uniform(0, 1) == 1;
          append_data(stream, stream_id, data, end_stream, pad);
          expect(FrameType::data,
                 static_cast<std::uint8_t>((end_stream ? flags::end_stream : 0) |
                                           (pad >= 0 ? flags::padded : 0)),
                 stream_id, data, stream.size() - before);
          break;
        }
      }
    }
    ASSERT_EQ(read_whole(stream), expected) << "round " << round;
    std::vector<std::size_t> cuts(uniform(1, 20));
    for (std::size_t& c : cuts) c = uniform(0, static_cast<std::uint32_t>(stream.size()));
    std::sort(cuts.begin(), cuts.end());
    ASSERT_EQ(read_split(stream, cuts), expected) << "round " << round;
  }
}

}  // namespace
}  // namespace inferload::http2
