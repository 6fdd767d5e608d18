#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "inferload/grpc/message.hpp"
#include "inferload/grpc/status.hpp"

namespace {

using namespace inferload::grpc;

struct ReadResult {
  std::vector<std::string> messages;
  MessageError error = MessageError::none;
};

// Feeds `wire` in the given slices, then ends the stream.
ReadResult read_all(const std::string& wire, const std::vector<std::size_t>& cuts,
                    std::uint32_t limit = kDefaultMaxMessageSize, bool compression = false) {
  MessageReader reader(limit, compression);
  ReadResult result;
  std::size_t begin = 0;
  auto drain = [&](std::size_t end) {
    // A copy of the slice that dies right after, so a view kept past its slice would show.
    std::string slice = wire.substr(begin, end - begin);
    EXPECT_TRUE(reader.feed(slice.data(), slice.size()));
    Message message;
    ReadStatus status;
    while ((status = reader.next(message)) == ReadStatus::message) result.messages.emplace_back(message.payload);
    begin = end;
    return status != ReadStatus::error;
  };
  for (std::size_t cut : cuts) {
    if (!drain(cut)) {
      result.error = reader.error();
      return result;
    }
  }
  if (!drain(wire.size())) {
    result.error = reader.error();
    return result;
  }
  result.error = reader.finish();
  return result;
}

std::string wire_of(const std::vector<std::string>& payloads) {
  std::string wire;
  for (const auto& p : payloads) append_message(p, wire);
  return wire;
}

const std::vector<std::string> kPayloads = {"hello", "", std::string(300, 'x'), std::string("\0\1\2", 3), "z"};

TEST(GrpcMessage, PrefixIsFlagAndBigEndianLength) {
  char prefix[kMessagePrefixSize];
  encode_message_prefix(0x01020304, false, prefix);
  EXPECT_EQ(std::string(prefix, 5), std::string("\x00\x01\x02\x03\x04", 5));
  encode_message_prefix(7, true, prefix);
  EXPECT_EQ(std::string(prefix, 5), std::string("\x01\x00\x00\x00\x07", 5));
}

TEST(GrpcMessage, RoundTripWhole) {
  ReadResult result = read_all(wire_of(kPayloads), {});
  EXPECT_EQ(result.error, MessageError::none);
  EXPECT_EQ(result.messages, kPayloads);
}

TEST(GrpcMessage, ContiguousMessageIsAViewOfTheFedBytes) {
  std::string wire = wire_of({"abc"});
  MessageReader reader;
  ASSERT_TRUE(reader.feed(wire.data(), wire.size()));
  Message message;
  ASSERT_EQ(reader.next(message), ReadStatus::message);
  EXPECT_EQ(message.payload.data(), wire.data() + kMessagePrefixSize);
  EXPECT_FALSE(message.compressed);
  EXPECT_EQ(reader.next(message), ReadStatus::need_more);
  EXPECT_EQ(reader.buffer_capacity(), 0u);
  EXPECT_EQ(reader.finish(), MessageError::none);
}

TEST(GrpcMessage, FeedRefusedWhileBytesUnread) {
  std::string wire = wire_of({"a", "b"});
  MessageReader reader;
  ASSERT_TRUE(reader.feed(wire.data(), wire.size()));
  Message message;
  ASSERT_EQ(reader.next(message), ReadStatus::message);
  EXPECT_FALSE(reader.feed(wire.data(), wire.size()));
  ASSERT_EQ(reader.next(message), ReadStatus::message);
  EXPECT_EQ(message.payload, "b");
  EXPECT_TRUE(reader.feed(wire.data(), 0));
}

TEST(GrpcMessage, ByteByByte) {
  std::string wire = wire_of(kPayloads);
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < wire.size(); ++i) cuts.push_back(i);
  ReadResult result = read_all(wire, cuts);
  EXPECT_EQ(result.error, MessageError::none);
  EXPECT_EQ(result.messages, kPayloads);
}

TEST(GrpcMessage, EverySplitPoint) {
  std::string wire = wire_of(kPayloads);
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    ReadResult result = read_all(wire, {cut});
    EXPECT_EQ(result.error, MessageError::none) << cut;
    EXPECT_EQ(result.messages, kPayloads) << cut;
  }
}

TEST(GrpcMessage, EveryPairOfSplitPoints) {
  std::string wire = wire_of({"hello", "", "world!"});
  for (std::size_t a = 0; a <= wire.size(); ++a) {
    for (std::size_t b = a; b <= wire.size(); ++b) {
      ReadResult result = read_all(wire, {a, b});
      EXPECT_EQ(result.messages, (std::vector<std::string>{"hello", "", "world!"})) << a << " " << b;
      EXPECT_EQ(result.error, MessageError::none);
    }
  }
}

TEST(GrpcMessageLimit, ExactlyAtTheLimitPasses) {
  std::string payload(1000, 'p');
  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, std::size_t{500}}) {
    ReadResult result = read_all(wire_of({payload}), {cut}, 1000);
    EXPECT_EQ(result.error, MessageError::none);
    ASSERT_EQ(result.messages.size(), 1u);
    EXPECT_EQ(result.messages[0], payload);
  }
}

TEST(GrpcMessageLimit, OneOverTheLimitIsResourceExhausted) {
  std::string payload(1001, 'p');
  ReadResult result = read_all(wire_of({payload}), {}, 1000);
  EXPECT_EQ(result.error, MessageError::too_large);
  EXPECT_TRUE(result.messages.empty());
  EXPECT_EQ(status_of(result.error), StatusCode::resource_exhausted);
}

TEST(GrpcMessageLimit, RefusedFromThePrefixAloneWithoutBuffering) {
  char prefix[kMessagePrefixSize];
  encode_message_prefix(0xffffffffu, false, prefix);
  MessageReader reader;
  ASSERT_TRUE(reader.feed(prefix, sizeof prefix));
  Message message;
  EXPECT_EQ(reader.next(message), ReadStatus::error);
  EXPECT_EQ(reader.error(), MessageError::too_large);
  EXPECT_EQ(reader.buffer_capacity(), 0u);
  EXPECT_EQ(reader.next(message), ReadStatus::error);
}

TEST(GrpcMessageLimit, BufferNeverExceedsTheLimit) {
  std::vector<std::string> payloads = {std::string(600, 'a'), std::string(1000, 'b'), std::string(999, 'c')};
  std::string wire = wire_of(payloads);
  std::vector<std::size_t> cuts;
  for (std::size_t i = 7; i < wire.size(); i += 7) cuts.push_back(i);
  MessageReader reader(1000);
  std::vector<std::string> got;
  std::size_t begin = 0;
  cuts.push_back(wire.size());
  for (std::size_t end : cuts) {
    ASSERT_TRUE(reader.feed(wire.data() + begin, end - begin));
    Message message;
    while (reader.next(message) == ReadStatus::message) got.emplace_back(message.payload);
    EXPECT_LE(reader.buffer_capacity(), 1000u);
    begin = end;
  }
  EXPECT_EQ(got, payloads);
  EXPECT_EQ(reader.buffer_capacity(), 1000u);
}

TEST(GrpcMessageError, CompressedWithoutEncodingIsInternal) {
  std::string wire(5, '\0');
  encode_message_prefix(3, true, wire.data());
  wire += "abc";
  ReadResult result = read_all(wire, {});
  EXPECT_EQ(result.error, MessageError::compressed_without_encoding);
  EXPECT_EQ(status_of(result.error), StatusCode::internal);
}

TEST(GrpcMessageError, CompressedWithEncodingIsYieldedAsCompressed) {
  std::string wire(5, '\0');
  encode_message_prefix(3, true, wire.data());
  wire += "abc";
  MessageReader reader(kDefaultMaxMessageSize, true);
  ASSERT_TRUE(reader.feed(wire.data(), wire.size()));
  Message message;
  ASSERT_EQ(reader.next(message), ReadStatus::message);
  EXPECT_TRUE(message.compressed);
  EXPECT_EQ(message.payload, "abc");
}

TEST(GrpcMessageError, FlagOtherThanZeroOrOne) {
  for (int flag : {2, 0x80, 0xff}) {
    std::string wire = wire_of({"abc"});
    wire[0] = static_cast<char>(flag);
    ReadResult result = read_all(wire, {});
    EXPECT_EQ(result.error, MessageError::bad_flag) << flag;
    EXPECT_EQ(status_of(result.error), StatusCode::internal);
  }
}

TEST(GrpcMessageError, TruncatedAtEndOfStream) {
  std::string wire = wire_of({"hello"});
  for (std::size_t size = 1; size < wire.size(); ++size) {
    ReadResult result = read_all(wire.substr(0, size), {});
    EXPECT_EQ(result.error, MessageError::truncated) << size;
    EXPECT_TRUE(result.messages.empty());
    EXPECT_EQ(status_of(result.error), StatusCode::internal);
  }
  EXPECT_EQ(read_all("", {}).error, MessageError::none);
}

TEST(GrpcStatus, NamesAsGrpcSpellsThem) {
  EXPECT_STREQ(to_string(StatusCode::ok), "OK");
  EXPECT_STREQ(to_string(StatusCode::deadline_exceeded), "DEADLINE_EXCEEDED");
  EXPECT_STREQ(to_string(StatusCode::unauthenticated), "UNAUTHENTICATED");
  EXPECT_EQ(static_cast<int>(StatusCode::unauthenticated), 16);
}

TEST(GrpcStatus, ParsesEveryCode) {
  for (int code = 0; code <= 16; ++code) {
    ParsedStatus parsed = parse_status(std::to_string(code));
    EXPECT_TRUE(parsed.well_formed) << code;
    EXPECT_EQ(static_cast<int>(parsed.code), code);
  }
  EXPECT_EQ(parse_status("04").code, StatusCode::deadline_exceeded);
}

TEST(GrpcStatus, BadValuesAreUnknown) {
  for (const char* bad : {"", "17", "-1", "+1", " 0", "0 ", "1a", "x", "99999999999999999999", "1.0"}) {
    ParsedStatus parsed = parse_status(bad);
    EXPECT_FALSE(parsed.well_formed) << bad;
    EXPECT_EQ(parsed.code, StatusCode::unknown) << bad;
  }
}

TEST(GrpcStatusMessage, PercentDecoding) {
  EXPECT_EQ(decode_message("plain text"), "plain text");
  EXPECT_EQ(decode_message("a%20b%25c"), "a b%c");
  EXPECT_EQ(decode_message("%E2%82%AC"), "\xE2\x82\xAC");
  EXPECT_EQ(decode_message("%e2%82%ac"), "\xE2\x82\xAC");
  EXPECT_EQ(decode_message("%0A"), "\n");
  EXPECT_EQ(decode_message(""), "");
}

TEST(GrpcStatusMessage, BrokenEncodingsAreKept) {
  EXPECT_EQ(decode_message("100%"), "100%");
  EXPECT_EQ(decode_message("%4"), "%4");
  EXPECT_EQ(decode_message("%zz%41"), "%zzA");
  EXPECT_EQ(decode_message("%%41"), "%A");
}

TEST(GrpcStatusMessage, AppendsToOutput) {
  std::string out = "x: ";
  decode_message("a%21", out);
  EXPECT_EQ(out, "x: a!");
}

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kS = 1'000'000'000;

TEST(GrpcTimeout, Formatting) {
  EXPECT_EQ(format_timeout(1), "1n");
  EXPECT_EQ(format_timeout(999 * kMs), "999000u");
  EXPECT_EQ(format_timeout(120 * kS), "120000m");  // k6's default grpc timeout, 2m
  EXPECT_EQ(format_timeout(100'000'000 * kS), "1666667M");
  EXPECT_EQ(format_timeout(99'999'999), "99999999n");
  EXPECT_EQ(format_timeout(100'000'000), "100000u");
  EXPECT_EQ(format_timeout(100'000'001), "100001u");  // rounded up
  EXPECT_EQ(format_timeout(0), "0n");
  EXPECT_EQ(format_timeout(-5), "0n");
  EXPECT_EQ(format_timeout(INT64_MAX), "2562048H");
}

TEST(GrpcTimeout, FormattedValuesFitTheGrammar) {
  for (std::int64_t ns : {std::int64_t{1}, 999 * kMs, 120 * kS, 100'000'000 * kS, INT64_MAX, std::int64_t{123456789012}}) {
    char out[kMaxTimeoutSize];
    std::size_t size = format_timeout(ns, out);
    EXPECT_GE(size, 2u);
    EXPECT_LE(size, kMaxTimeoutSize);
  }
}

TEST(GrpcTimeout, Parsing) {
  EXPECT_EQ(parse_timeout("1n"), 1);
  EXPECT_EQ(parse_timeout("999000u"), 999 * kMs);
  EXPECT_EQ(parse_timeout("120000m"), 120 * kS);
  EXPECT_EQ(parse_timeout("2M"), 120 * kS);
  EXPECT_EQ(parse_timeout("1H"), 3600 * kS);
  EXPECT_EQ(parse_timeout("99999999H"), INT64_MAX);
  for (const char* bad : {"", "n", "1", "1x", "123456789S", "-1S", "1 S", "1s", "a1S"}) {
    EXPECT_EQ(parse_timeout(bad), std::nullopt) << bad;
  }
}

TEST(GrpcTimeout, RoundTrips) {
  for (std::int64_t ns : {std::int64_t{1}, 999 * kMs, 120 * kS, 100'000'000 * kS, std::int64_t{99'999'999},
                          std::int64_t{100'000'001}, std::int64_t{123'456'789'012'345}}) {
    std::string text = format_timeout(ns);
    auto parsed = parse_timeout(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_GE(*parsed, ns) << text;
    EXPECT_EQ(format_timeout(*parsed), text);
  }
  for (std::int64_t exact : {std::int64_t{1}, 999 * kMs, 120 * kS}) EXPECT_EQ(parse_timeout(format_timeout(exact)), exact);
}

}  // namespace
