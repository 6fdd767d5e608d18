// libFuzzer target for the HTTP/2 FrameReader and the HpackDecoder behind it. A socket may hand
// the reader a connection's bytes in any slices, and a peer may cut a header block into
// CONTINUATION frames anywhere, so nothing either of them reports may depend on those cuts: the
// stream is read whole, byte by byte and in random slices, each header block fragment is decoded
// likewise whole, byte by byte and in random pieces, and any difference in the frames, the stream
// and connection errors, the decoded header lists or the HPACK errors aborts. Every header list
// that decoded is also encoded again by HpackEncoder and decoded by a second HpackDecoder, which
// must give back the same list and keep the same dynamic table size as the encoder.
//
// Input: 4 prefix bytes, then the server's side of a connection (frames, no preface).
//   [0..1]  seed of the random slicing (of the stream and of the header block fragments)
//   [2]     the decoder's max header list size: 255 is the default, else (value + 1) * 8
//   [3]     low 4 bits: when not 0, the decoder's SETTINGS_HEADER_TABLE_SIZE is value * 512
//           before the first block (so the peer's first block must start with a size update);
//           high 4 bits: when not 0, the round trip changes the table size to value * 512 before
//           every third block
#include "inferload/http2/frame.hpp"
#include "inferload/http2/hpack.hpp"
#include "fuzz_split.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace h2 = inferload::http2;
namespace fuzz = inferload::fuzz;

constexpr std::size_t kPrefixBytes = 4;

struct FuzzInput {
  std::uint16_t split_seed = 0;
  std::uint32_t max_header_list_size = h2::kDefaultMaxHeaderListSize;
  std::uint32_t decoder_table_size = 0;     // 0: left at the default
  std::uint32_t round_trip_table_size = 0;  // 0: never changed
  const char* stream = nullptr;
  std::size_t stream_len = 0;
};

// How a run hands the bytes over: the stream to the FrameReader, and each header block fragment
// to the HpackDecoder.
enum class Split { whole, bytewise, random };

const char* to_string(Split split) {
  switch (split) {
    case Split::whole: return "whole";
    case Split::bytewise: return "byte-by-byte";
    case Split::random: return "random";
  }
  return "?";
}

// One non-need_more result of FrameReader::next(); the fields that do not apply stay zero.
struct FrameEvent {
  h2::ReadStatus status = h2::ReadStatus::frame;
  h2::FrameHeader header;
  std::string payload;  // a copy: the view dies with the next next() or feed()
  std::uint32_t promised_stream_id = 0;
  h2::ErrorCode error = h2::ErrorCode::no_error;
  std::uint32_t error_stream_id = 0;
  bool operator==(const FrameEvent&) const = default;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One header block as the decoder saw it: complete, or cut off by a compression error.
struct BlockOutcome {
  HeaderList headers;
  h2::HpackStatus status = h2::HpackStatus::ok;
  bool complete = false;  // END_HEADERS reached, or the error ended it
  std::size_t dynamic_table_size = 0;
  bool operator==(const BlockOutcome&) const = default;
};

struct ConnectionOutcome {
  std::vector<FrameEvent> events;
  std::vector<BlockOutcome> blocks;
  bool operator==(const ConnectionOutcome&) const = default;
};

void print_outcome(const char* label, const ConnectionOutcome& outcome) {
  std::fprintf(stderr, "%s: %zu events, %zu header blocks\n", label, outcome.events.size(),
               outcome.blocks.size());
  for (std::size_t i = 0; i < outcome.events.size(); ++i) {
    const FrameEvent& e = outcome.events[i];
    std::fprintf(stderr,
                 "  [%zu] status=%d type=%u(%s) flags=0x%02x stream=%u length=%u promised=%u "
                 "error=%s error_stream=%u payload=",
                 i, static_cast<int>(e.status), static_cast<unsigned>(e.header.type),
                 h2::to_string(e.header.type), e.header.flags, e.header.stream_id,
                 e.header.length, e.promised_stream_id, h2::to_string(e.error), e.error_stream_id);
    fuzz::print_c_string(e.payload);
    std::fputc('\n', stderr);
  }
  for (std::size_t i = 0; i < outcome.blocks.size(); ++i) {
    const BlockOutcome& b = outcome.blocks[i];
    std::fprintf(stderr, "  block [%zu] status=%s complete=%d table=%zu headers:", i,
                 h2::to_string(b.status), b.complete, b.dynamic_table_size);
    for (const auto& [name, value] : b.headers) {
      std::fputc(' ', stderr);
      fuzz::print_c_string(name);
      std::fputc('=', stderr);
      fuzz::print_c_string(value);
    }
    std::fputc('\n', stderr);
  }
}

[[noreturn]] void fail_contract(const FuzzInput& input, Split split, const char* what) {
  std::fprintf(stderr, "http2_frames_fuzz: %s (%s slices, split seed %u)\nstream: ", what,
               to_string(split), input.split_seed);
  fuzz::print_c_string(std::string_view(input.stream, input.stream_len));
  std::fputc('\n', stderr);
  std::abort();
}

std::vector<std::size_t> slices_for(Split split, std::size_t len, fuzz::SplitMix64& rng) {
  switch (split) {
    case Split::whole: return {len};
    case Split::bytewise: return std::vector<std::size_t>(len, 1);
    case Split::random: return fuzz::random_slices(len, rng, 4);
  }
  return {};
}

std::size_t list_size(const HeaderList& headers) {
  std::size_t size = 0;
  for (const auto& [name, value] : headers) size += name.size() + value.size() + h2::kHeaderFieldOverhead;
  return size;
}

// Decodes a whole fragment (in `split` pieces) into the open block; the pieces' split is the
// decoder's business, so only the last piece carries END_HEADERS.
h2::HpackStatus decode_fragment(h2::HpackDecoder& decoder, std::string_view fragment,
                                bool end_headers, Split split, fuzz::SplitMix64& rng,
                                HeaderList& headers) {
  const auto on_header = [&headers](std::string_view name, std::string_view value) {
    headers.emplace_back(name, value);
  };
  const std::vector<std::size_t> pieces = slices_for(split, fragment.size(), rng);
  std::size_t offset = 0;
  for (const std::size_t piece : pieces) {
    offset += piece;
    const bool last = offset == fragment.size();
    const h2::HpackStatus status = decoder.decode(fragment.substr(offset - piece, piece),
                                                  end_headers && last, on_header);
    if (status != h2::HpackStatus::ok || (end_headers && last)) return status;
  }
  // An empty fragment has no pieces, and one that ended in a non-final piece still has to close.
  if (end_headers || pieces.empty()) return decoder.decode({}, end_headers, on_header);
  return h2::HpackStatus::ok;
}

// The header lists that decoded, encoded again and decoded by a second decoder in random pieces.
class RoundTrip {
 public:
  explicit RoundTrip(const FuzzInput& input) : input_(input), rng_(input.split_seed ^ 0x5a5aULL) {}

  void check(const HeaderList& headers) {
    if (input_.round_trip_table_size != 0 && blocks_ % 3 == 0) {
      // The order of SETTINGS: the decoder announces its size, the encoder takes it when the peer
      // acknowledges.
      if (!decoder_.set_max_table_size(input_.round_trip_table_size)) {
        broken("round trip: HpackDecoder::set_max_table_size failed between blocks");
      }
      if (!encoder_.set_max_table_size(input_.round_trip_table_size)) {
        broken("round trip: HpackEncoder::set_max_table_size failed");
      }
    }
    ++blocks_;
    fields_.clear();
    for (const auto& [name, value] : headers) {
      fields_.push_back(h2::Header{name, value, (rng_.next() % 4) == 0});
    }
    block_.clear();
    if (!encoder_.encode(fields_.data(), fields_.size(), block_)) broken("round trip: encode failed");
    HeaderList decoded;
    const h2::HpackStatus status =
        decode_fragment(decoder_, block_, true, Split::random, rng_, decoded);
    if (status != h2::HpackStatus::ok) broken("round trip: the encoded block does not decode");
    if (decoded != headers) broken("round trip: the decoded headers differ from the encoded ones");
    if (decoder_.in_block()) broken("round trip: block still open after END_HEADERS");
    if (decoder_.dynamic_table_size() != encoder_.dynamic_table_size()) {
      broken("round trip: encoder and decoder dynamic tables differ in size");
    }
  }

 private:
  [[noreturn]] void broken(const char* what) { fail_contract(input_, Split::whole, what); }

  const FuzzInput& input_;
  fuzz::SplitMix64 rng_;
  h2::HpackEncoder encoder_;
  h2::HpackDecoder decoder_{0xffffffffu};
  std::vector<h2::Header> fields_;
  std::string block_;
  std::size_t blocks_ = 0;
};

// Reads the stream the way a connection would, up to its end or the first connection error,
// feeding each header block to the HPACK decoder until its first compression error.
ConnectionOutcome read_connection(const FuzzInput& input, Split split, RoundTrip* round_trip) {
  const auto broken = [&](const char* what) { fail_contract(input, split, what); };
  fuzz::SplitMix64 rng(input.split_seed);
  const std::vector<std::size_t> slices = slices_for(split, input.stream_len, rng);

  h2::FrameReader reader;
  h2::HpackDecoder decoder(input.max_header_list_size);
  if (input.decoder_table_size != 0 && !decoder.set_max_table_size(input.decoder_table_size)) {
    broken("HpackDecoder::set_max_table_size failed before any block");
  }
  ConnectionOutcome outcome;
  bool block_open = false;
  bool hpack_failed = false;

  const auto on_header_block_fragment = [&](const h2::Frame& frame) {
    if (hpack_failed) return;
    if (!block_open) outcome.blocks.emplace_back();
    BlockOutcome& block = outcome.blocks.back();
    const bool end_headers = frame.header.has(h2::flags::end_headers);
    const h2::HpackStatus status =
        decode_fragment(decoder, frame.payload, end_headers, split, rng, block.headers);
    if (status == h2::HpackStatus::header_list_too_large && !end_headers) {
      broken("header_list_too_large before the end of the block");
    }
    block_open = !end_headers && status == h2::HpackStatus::ok;
    if (decoder.in_block() != block_open) broken("in_block() disagrees with the block's state");
    block.status = status;
    block.complete = !block_open;
    block.dynamic_table_size = decoder.dynamic_table_size();
    if (list_size(block.headers) > input.max_header_list_size) {
      broken("headers beyond the max header list size reached the callback");
    }
    if (status == h2::HpackStatus::compression_error) {
      hpack_failed = true;
    } else if (status == h2::HpackStatus::ok && end_headers && round_trip != nullptr) {
      round_trip->check(block.headers);
    }
  };

  std::size_t offset = 0;
  h2::Frame frame;
  for (const std::size_t slice : slices) {
    if (!reader.feed(input.stream + offset, slice)) broken("feed() refused after need_more");
    offset += slice;
    for (;;) {
      const h2::ReadStatus status = reader.next(frame);
      if (status == h2::ReadStatus::need_more) break;
      FrameEvent event;
      event.status = status;
      if (status == h2::ReadStatus::frame) {
        event.header = frame.header;
        event.payload.assign(frame.payload);
        event.promised_stream_id = frame.promised_stream_id;
        if (frame.payload.size() > frame.header.length) broken("payload longer than the frame");
        if (!h2::is_known(frame.header.type)) broken("an extension frame was yielded");
        switch (frame.header.type) {
          case h2::FrameType::settings:
            if (frame.payload.size() % 6 != 0) broken("SETTINGS payload not a multiple of 6");
            for (std::size_t i = 0; i < h2::settings_count(frame.payload); ++i) {
              (void)h2::settings_entry(frame.payload, i);
            }
            break;
          case h2::FrameType::ping:
            if (frame.payload.size() != 8) broken("PING payload not 8 bytes");
            (void)h2::ping_opaque(frame.payload);
            break;
          case h2::FrameType::window_update:
            if (frame.payload.size() != 4) broken("WINDOW_UPDATE payload not 4 bytes");
            if (h2::window_increment(frame.payload) == 0) broken("zero increment yielded");
            break;
          case h2::FrameType::rst_stream:
            if (frame.payload.size() != 4) broken("RST_STREAM payload not 4 bytes");
            (void)h2::rst_stream_code(frame.payload);
            break;
          case h2::FrameType::goaway: {
            if (frame.payload.size() < 8) broken("GOAWAY payload shorter than 8 bytes");
            const h2::GoAway goaway = h2::decode_goaway(frame.payload);
            if ((goaway.last_stream_id & ~h2::kStreamIdMask) != 0) broken("reserved bit kept");
            break;
          }
          case h2::FrameType::headers:
          case h2::FrameType::push_promise:
          case h2::FrameType::continuation:
            on_header_block_fragment(frame);
            break;
          default:
            break;
        }
      } else {
        event.error = reader.error();
        event.error_stream_id = reader.error_stream_id();
        if (status == h2::ReadStatus::stream_error && event.error_stream_id == 0) {
          broken("stream error on stream 0");
        }
      }
      outcome.events.push_back(std::move(event));
      if (status == h2::ReadStatus::connection_error) {
        if (reader.next(frame) != h2::ReadStatus::connection_error) {
          broken("next() recovered from a connection error");
        }
        return outcome;
      }
    }
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kPrefixBytes) return -1;  // not worth adding to the corpus
  FuzzInput input;
  input.split_seed = static_cast<std::uint16_t>(data[0] | (data[1] << 8));
  input.max_header_list_size =
      data[2] == 0xff ? h2::kDefaultMaxHeaderListSize : (std::uint32_t{data[2]} + 1) * 8;
  input.decoder_table_size = std::uint32_t{data[3] & 0x0fU} * 512;
  input.round_trip_table_size = (std::uint32_t{data[3]} >> 4) * 512;
  input.stream = reinterpret_cast<const char*>(data + kPrefixBytes);
  input.stream_len = size - kPrefixBytes;

  RoundTrip round_trip(input);
  const ConnectionOutcome whole = read_connection(input, Split::whole, &round_trip);
  const ConnectionOutcome bytewise = read_connection(input, Split::bytewise, nullptr);
  const ConnectionOutcome random = read_connection(input, Split::random, nullptr);
  if (whole == bytewise && whole == random) return 0;

  std::fprintf(stderr, "http2_frames_fuzz: results depend on the split (split seed %u)\nstream: ",
               input.split_seed);
  fuzz::print_c_string(std::string_view(input.stream, input.stream_len));
  std::fputc('\n', stderr);
  print_outcome("whole", whole);
  print_outcome("byte-by-byte", bytewise);
  print_outcome("random slices", random);
  std::abort();
}
