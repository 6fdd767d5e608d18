// libFuzzer target for the HTTP/1.1 response parser. A socket may hand the parser a stream in any
// slices, so the results must not depend on where the reads split it: the stream is parsed whole,
// byte by byte and in random slices, by a parser with the default head limit and by one with a
// tiny limit (which moves the header_too_large boundary across every split), and any difference
// in what the parser reports, or any broken promise of its header's contract, aborts.
//
// Input: 4 prefix bytes, then the stream of pipelined responses.
//   [0..1]  seed of the random slicing
//   [2]     the tiny parser's max_header_bytes minus one (1..256)
//   [3]     low 4 bits: response i answers a HEAD request when bit (i % 4) is set
#include "inferload/http1/response_parser.hpp"
#include "fuzz_split.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using inferload::http1::ParseError;
using inferload::http1::ResponseParser;
using inferload::http1::to_string;
namespace fuzz = inferload::fuzz;

// Short slices of up to 4 bytes land cuts inside every token; long ones let a line-wise fast path
// see whole lines.
std::vector<std::size_t> random_slices(std::size_t len, std::uint16_t seed) {
  fuzz::SplitMix64 rng(seed);
  return fuzz::random_slices(len, rng, 4);
}

constexpr std::size_t kPrefixBytes = 4;
constexpr std::size_t kDefaultMaxHeaderBytes = 64 * 1024;
// Small enough that fuzzed bodies overflow it, so truncation is compared across splits as well.
constexpr std::size_t kBodySinkLimit = 48;

struct FuzzInput {
  std::uint16_t split_seed = 0;
  std::size_t tiny_max_header_bytes = 1;
  unsigned head_mask = 0;
  const char* stream = nullptr;
  std::size_t stream_len = 0;

  bool answers_head(std::size_t response_index) const {
    return ((head_mask >> (response_index % 4)) & 1U) != 0;
  }
};

// Everything the parser reports about one response once it is complete or failed.
struct ResponseOutcome {
  bool complete = false;
  bool failed = false;
  ParseError error = ParseError::none;
  bool started = false;
  bool headers_done = false;
  int status = 0;
  int version_minor = 0;
  bool keep_alive = false;
  bool chunked = false;
  std::uint64_t content_length = 0;
  std::uint64_t body_bytes = 0;
  bool body_truncated = false;
  std::string body;
  std::size_t consumed = 0;  // stream bytes fed to this response; up to the faulty byte on failure
  bool settled_by_eof = false;

  bool operator==(const ResponseOutcome&) const = default;
};

struct StreamOutcome {
  std::vector<ResponseOutcome> responses;
  std::size_t consumed = 0;

  bool operator==(const StreamOutcome&) const = default;
};

void print_outcome(const char* label, const StreamOutcome& outcome) {
  std::fprintf(stderr, "%s: %zu responses, %zu bytes consumed\n", label,
               outcome.responses.size(), outcome.consumed);
  for (std::size_t i = 0; i < outcome.responses.size(); ++i) {
    const ResponseOutcome& r = outcome.responses[i];
    std::fprintf(stderr,
                 "  [%zu] complete=%d failed=%d error=\"%s\" started=%d headers_done=%d status=%d "
                 "version_minor=%d keep_alive=%d chunked=%d content_length=%llu body_bytes=%llu "
                 "body_truncated=%d sink=%zu consumed=%zu by_eof=%d\n",
                 i, r.complete, r.failed, to_string(r.error), r.started, r.headers_done, r.status,
                 r.version_minor, r.keep_alive, r.chunked,
                 static_cast<unsigned long long>(r.content_length),
                 static_cast<unsigned long long>(r.body_bytes), r.body_truncated, r.body.size(),
                 r.consumed, r.settled_by_eof);
  }
}

[[noreturn]] void fail_contract(const FuzzInput& input, std::size_t max_header_bytes,
                                const char* split, const char* what) {
  std::fprintf(stderr, "http1_response_fuzz: %s (max_header_bytes=%zu, %s slices)\nstream: ",
               what, max_header_bytes, split);
  fuzz::print_c_string(std::string_view(input.stream, input.stream_len));
  std::fputc('\n', stderr);
  std::abort();
}

ResponseOutcome snapshot(const ResponseParser& parser, const std::string& body,
                         std::size_t consumed, bool settled_by_eof) {
  ResponseOutcome r;
  r.complete = parser.complete();
  r.failed = parser.failed();
  r.error = parser.error();
  r.started = parser.started();
  r.headers_done = parser.headers_done();
  r.status = parser.status();
  r.version_minor = parser.version_minor();
  r.keep_alive = parser.keep_alive();
  r.chunked = parser.chunked();
  r.content_length = parser.content_length();
  r.body_bytes = parser.body_bytes();
  r.body_truncated = parser.body_truncated();
  r.body = body;
  r.consumed = consumed;
  r.settled_by_eof = settled_by_eof;
  return r;
}

// Feeds the stream in the given slices the way a connection would: a settled response is recorded
// and the parser reset for the rest; a failure ends the connection; the stream's end is EOF.
StreamOutcome parse_stream(const FuzzInput& input, std::size_t max_header_bytes,
                           const std::vector<std::size_t>& slices, const char* split) {
  const auto broken = [&](const char* what) {
    fail_contract(input, max_header_bytes, split, what);
  };
  ResponseParser parser(max_header_bytes);
  std::string body;
  parser.set_body_sink(&body, kBodySinkLimit);
  parser.set_head_request(input.answers_head(0));

  StreamOutcome outcome;
  std::size_t response_consumed = 0;
  const auto record = [&](bool settled_by_eof) {
    if (parser.complete() == parser.failed()) broken("not exactly one of complete() and failed()");
    if (parser.failed() == (parser.error() == ParseError::none)) {
      broken("failed() disagrees with error()");
    }
    if (body.size() != std::min<std::uint64_t>(parser.body_bytes(), kBodySinkLimit)) {
      broken("sink holds a different amount than body_bytes() within its limit");
    }
    if (parser.body_truncated() != (parser.body_bytes() > kBodySinkLimit)) {
      broken("body_truncated() disagrees with body_bytes() and the sink limit");
    }
    outcome.responses.push_back(snapshot(parser, body, response_consumed, settled_by_eof));
  };

  std::size_t offset = 0;
  bool connection_closed = false;
  for (const std::size_t slice : slices) {
    const char* p = input.stream + offset;
    std::size_t left = slice;
    offset += slice;
    for (;;) {
      const std::size_t n = parser.feed(p, left);
      if (n > left) broken("feed() consumed more than it was given");
      p += n;
      left -= n;
      response_consumed += n;
      outcome.consumed += n;
      if (!parser.complete() && !parser.failed()) {
        if (left != 0) broken("feed() left bytes while the response is incomplete");
        break;
      }
      if (left != 0 && parser.feed(p, left) != 0) broken("feed() consumed after the response");
      record(false);
      if (parser.failed()) {
        connection_closed = true;
        break;
      }
      body.clear();
      parser.reset();
      parser.set_head_request(input.answers_head(outcome.responses.size()));
      response_consumed = 0;
      if (left == 0) break;
    }
    if (connection_closed) break;
  }
  if (!connection_closed) {
    // Also on a freshly reset parser: EOF before any byte of a response is a failure to report.
    parser.feed_eof();
    record(true);
  }
  return outcome;
}

void check_splits(const FuzzInput& input, std::size_t max_header_bytes) {
  const std::size_t len = input.stream_len;
  const StreamOutcome whole = parse_stream(input, max_header_bytes, {len}, "whole");
  const StreamOutcome bytewise =
      parse_stream(input, max_header_bytes, std::vector<std::size_t>(len, 1), "byte-by-byte");
  const StreamOutcome random =
      parse_stream(input, max_header_bytes, random_slices(len, input.split_seed), "random");
  if (whole == bytewise && whole == random) return;

  std::fprintf(stderr, "http1_response_fuzz: results depend on the split (max_header_bytes=%zu, "
                       "split seed %u)\nstream: ", max_header_bytes, input.split_seed);
  fuzz::print_c_string(std::string_view(input.stream, len));
  std::fputc('\n', stderr);
  print_outcome("whole", whole);
  print_outcome("byte-by-byte", bytewise);
  print_outcome("random slices", random);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kPrefixBytes) return -1;  // not worth adding to the corpus
  FuzzInput input;
  input.split_seed = static_cast<std::uint16_t>(data[0] | (data[1] << 8));
  input.tiny_max_header_bytes = std::size_t{data[2]} + 1;
  input.head_mask = data[3] & 0x0fU;
  input.stream = reinterpret_cast<const char*>(data + kPrefixBytes);
  input.stream_len = size - kPrefixBytes;

  check_splits(input, kDefaultMaxHeaderBytes);
  check_splits(input, input.tiny_max_header_bytes);
  return 0;
}
