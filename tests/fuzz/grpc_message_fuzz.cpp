// libFuzzer target for gRPC's MessageReader. A stream's DATA payloads split its messages
// anywhere, so what the reader yields may not depend on those splits: the stream is read whole,
// byte by byte and in random slices (by a fresh reader, and by one reset() after it read half
// of the stream), and any difference in the messages, the error or what finish() says aborts.
// The messages read are then written again with the prefix encoder and read back, whole and in
// random slices, which must give the same messages and a clean end.
//
// Input: 4 prefix bytes, then one stream's DATA bytes.
//   [0..1]  seed of the random slicing
//   [2]     the receive limit: 255 is kDefaultMaxMessageSize, else the value itself (0..254), so
//           that fuzzed lengths land on both sides of it
//   [3]     bit 0: compression negotiated (a compressed flag is then a message, not an error)
#include "inferload/grpc/message.hpp"
#include "inferload/grpc/status.hpp"
#include "fuzz_split.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace grpc = inferload::grpc;
namespace fuzz = inferload::fuzz;

// Short slices of up to 6 bytes cut the 5-byte prefix everywhere.
std::vector<std::size_t> random_slices(std::size_t len, std::uint64_t seed) {
  fuzz::SplitMix64 rng(seed);
  return fuzz::random_slices(len, rng, 6);
}

constexpr std::size_t kPrefixBytes = 4;

struct FuzzInput {
  std::uint16_t split_seed = 0;
  std::uint32_t max_message_size = grpc::kDefaultMaxMessageSize;
  bool compression_negotiated = false;
  std::string_view stream;
};

struct MessageCopy {
  std::string payload;  // a copy: the view dies with the next next() or feed()
  bool compressed = false;
  bool operator==(const MessageCopy&) const = default;
};

struct StreamOutcome {
  std::vector<MessageCopy> messages;
  grpc::MessageError error = grpc::MessageError::none;  // what next() failed with, if it did
  grpc::MessageError finished = grpc::MessageError::none;  // what finish() said at the end
  bool operator==(const StreamOutcome&) const = default;
};

void print_outcome(const char* label, const StreamOutcome& outcome) {
  std::fprintf(stderr, "%s: %zu messages, error \"%s\", finish \"%s\"\n", label,
               outcome.messages.size(), grpc::to_string(outcome.error),
               grpc::to_string(outcome.finished));
  for (std::size_t i = 0; i < outcome.messages.size(); ++i) {
    std::fprintf(stderr, "  [%zu] compressed=%d size=%zu ", i, outcome.messages[i].compressed,
                 outcome.messages[i].payload.size());
    fuzz::print_c_string(outcome.messages[i].payload);
    std::fputc('\n', stderr);
  }
}

[[noreturn]] void fail_contract(const FuzzInput& input, const char* split, const char* what) {
  std::fprintf(stderr,
               "grpc_message_fuzz: %s (%s slices, limit %u, compression %d)\nstream: ", what,
               split, input.max_message_size, input.compression_negotiated);
  fuzz::print_c_string(input.stream);
  std::fputc('\n', stderr);
  std::abort();
}

// Reads a stream with `reader`, fresh or reset, up to its end or its first error.
StreamOutcome read_stream(const FuzzInput& input, grpc::MessageReader& reader,
                          std::string_view stream, const std::vector<std::size_t>& slices,
                          const char* split) {
  const auto broken = [&](const char* what) { fail_contract(input, split, what); };
  if (reader.max_message_size() != input.max_message_size) broken("max_message_size() changed");
  StreamOutcome outcome;
  std::size_t offset = 0;
  grpc::Message message;
  for (const std::size_t slice : slices) {
    if (!reader.feed(stream.data() + offset, slice)) broken("feed() refused after need_more");
    offset += slice;
    for (;;) {
      const grpc::ReadStatus status = reader.next(message);
      if (status == grpc::ReadStatus::need_more) break;
      if (status == grpc::ReadStatus::error) {
        outcome.error = reader.error();
        if (outcome.error == grpc::MessageError::none) broken("error without a MessageError");
        if (grpc::status_of(outcome.error) == grpc::StatusCode::ok) broken("error maps to OK");
        if (reader.next(message) != grpc::ReadStatus::error) broken("next() recovered from an error");
        outcome.finished = reader.finish();
        if (outcome.finished != outcome.error) broken("finish() forgot the error");
        return outcome;
      }
      if (message.payload.size() > input.max_message_size) broken("message over the limit");
      if (message.compressed && !input.compression_negotiated) broken("compressed, not negotiated");
      outcome.messages.push_back(MessageCopy{std::string(message.payload), message.compressed});
    }
    if (reader.error() != grpc::MessageError::none) broken("error() set while reading on");
    if (reader.buffer_capacity() > input.max_message_size) broken("buffer beyond the limit");
  }
  outcome.finished = reader.finish();
  if (outcome.finished != grpc::MessageError::none &&
      outcome.finished != grpc::MessageError::truncated) {
    broken("finish() reported something other than truncation");
  }
  return outcome;
}

StreamOutcome read_stream(const FuzzInput& input, std::string_view stream,
                          const std::vector<std::size_t>& slices, const char* split) {
  grpc::MessageReader reader(input.max_message_size, input.compression_negotiated);
  return read_stream(input, reader, stream, slices, split);
}

// A reader is reused from stream to stream, so after reset() it must read as a fresh one does,
// whatever state the last stream left it in: here the first half of this one, which stops it
// inside a prefix, inside a gathered payload, or failed.
StreamOutcome read_stream_after_reset(const FuzzInput& input, const std::vector<std::size_t>& slices,
                                      const char* split) {
  grpc::MessageReader reader(input.max_message_size, input.compression_negotiated);
  const std::string_view first_half = input.stream.substr(0, input.stream.size() / 2);
  std::size_t offset = 0;
  grpc::Message message;
  grpc::ReadStatus status = grpc::ReadStatus::need_more;
  for (const std::size_t slice : random_slices(first_half.size(), input.split_seed ^ 0x3c3cU)) {
    if (!reader.feed(first_half.data() + offset, slice)) fail_contract(input, split, "feed() refused");
    offset += slice;
    do {
      status = reader.next(message);
    } while (status == grpc::ReadStatus::message);
    if (status == grpc::ReadStatus::error) break;  // a failed stream is fed no more
  }
  reader.reset();
  if (reader.error() != grpc::MessageError::none) fail_contract(input, split, "reset() kept the error");
  return read_stream(input, reader, input.stream, slices, split);
}

// Writes the messages again, as a sender would: the prefix apart from the payload, or
// append_message for the uncompressed ones.
std::string encode_messages(const std::vector<MessageCopy>& messages) {
  std::string stream;
  for (const MessageCopy& m : messages) {
    if (m.compressed) {
      char prefix[grpc::kMessagePrefixSize];
      grpc::encode_message_prefix(static_cast<std::uint32_t>(m.payload.size()), true, prefix);
      stream.append(prefix, sizeof prefix);
      stream.append(m.payload);
    } else {
      grpc::append_message(m.payload, stream);
    }
  }
  return stream;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kPrefixBytes) return -1;  // not worth adding to the corpus
  FuzzInput input;
  input.split_seed = static_cast<std::uint16_t>(data[0] | (data[1] << 8));
  input.max_message_size = data[2] == 0xff ? grpc::kDefaultMaxMessageSize : data[2];
  input.compression_negotiated = (data[3] & 1U) != 0;
  input.stream = std::string_view(reinterpret_cast<const char*>(data + kPrefixBytes),
                                  size - kPrefixBytes);
  const std::size_t len = input.stream.size();

  const StreamOutcome whole = read_stream(input, input.stream, {len}, "whole");
  const StreamOutcome bytewise =
      read_stream(input, input.stream, std::vector<std::size_t>(len, 1), "byte-by-byte");
  const StreamOutcome random =
      read_stream(input, input.stream, random_slices(len, input.split_seed), "random");
  const StreamOutcome after_reset = read_stream_after_reset(
      input, random_slices(len, input.split_seed ^ 0x7777U), "random, after reset()");
  if (!(whole == bytewise && whole == random && whole == after_reset)) {
    std::fprintf(stderr, "grpc_message_fuzz: results depend on the split (limit %u, compression "
                         "%d, split seed %u)\nstream: ",
                 input.max_message_size, input.compression_negotiated, input.split_seed);
    fuzz::print_c_string(input.stream);
    std::fputc('\n', stderr);
    print_outcome("whole", whole);
    print_outcome("byte-by-byte", bytewise);
    print_outcome("random slices", random);
    print_outcome("random slices, reset reader", after_reset);
    std::abort();
  }

  const std::string encoded = encode_messages(whole.messages);
  // A stream read to a clean end holds nothing but its messages, so it is written back as it was.
  if (whole.error == grpc::MessageError::none && whole.finished == grpc::MessageError::none &&
      encoded != input.stream) {
    fail_contract(input, "whole", "re-encoding a cleanly ended stream changed its bytes");
  }
  const StreamOutcome expected{whole.messages, grpc::MessageError::none, grpc::MessageError::none};
  const StreamOutcome reread = read_stream(input, encoded, {encoded.size()}, "round-trip whole");
  const StreamOutcome reread_random = read_stream(
      input, encoded, random_slices(encoded.size(), input.split_seed ^ 0xa5a5U), "round-trip random");
  if (reread == expected && reread_random == expected) return 0;
  std::fprintf(stderr, "grpc_message_fuzz: the re-encoded messages read back differently\n");
  print_outcome("read", whole);
  print_outcome("re-encoded, whole", reread);
  print_outcome("re-encoded, random slices", reread_random);
  fail_contract(input, "round-trip", "round trip differs");
}
