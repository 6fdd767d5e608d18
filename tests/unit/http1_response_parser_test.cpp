// Tests of the HTTP/1.1 response parser, in the manner of picohttpparser's: a table of fixtures,
// each parsed whole, split at every byte into two pieces, and fed byte by byte, with identical
// results demanded every time; then randomized streams and random mutations of them.
#include "inferload/http1/response_parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace inferload::http1 {
namespace {

using namespace std::string_literals;  // fixtures with NUL bytes need "..."s

constexpr std::size_t kUnchecked = std::numeric_limits<std::size_t>::max();

// What the parser said about one response of a stream (or what a fixture expects it to say).
struct Outcome {
  bool complete = false;
  ParseError error = ParseError::none;
  int status = 0;
  int version_minor = 1;
  bool keep_alive = true;
  bool chunked = false;
  std::uint64_t content_length = UINT64_MAX;
  std::string body;  // what reached the sink
  std::uint64_t body_bytes = 0;
  bool body_truncated = false;
  std::size_t consumed = 0;  // bytes of the stream taken by this response

  bool operator==(const Outcome&) const = default;

  Outcome closes() const { auto o = *this; o.keep_alive = false; return o; }
  Outcome http10() const { auto o = *this; o.version_minor = 0; return o; }
  Outcome is_chunked() const { auto o = *this; o.chunked = true; return o; }
  Outcome length(std::uint64_t n) const { auto o = *this; o.content_length = n; return o; }
  Outcome truncated_to(std::size_t n) const {
    auto o = *this;
    o.body.resize(n);
    o.body_truncated = true;
    return o;
  }
};

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "{complete=" << o.complete << " error=\"" << to_string(o.error) << "\" status=" << o.status
     << " minor=" << o.version_minor << " keep_alive=" << o.keep_alive
     << " chunked=" << o.chunked << " content_length=" << o.content_length
     << " body_bytes=" << o.body_bytes << " truncated=" << o.body_truncated
     << " consumed=" << o.consumed << " body=\"";
  if (o.body.size() > 64) {
    os << printable(o.body.substr(0, 64)) << "...(" << o.body.size() << " bytes)";
  } else {
    os << printable(o.body);
  }
  return os << "\"}";
}

Outcome ok(int status, std::string body = {}) {
  Outcome o;
  o.complete = true;
  o.status = status;
  o.body_bytes = body.size();
  o.body = std::move(body);
  return o;
}

Outcome failure(ParseError error) {
  Outcome o;
  o.error = error;
  o.consumed = kUnchecked;
  return o;
}

struct Options {
  bool head_request = false;
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t sink_limit = std::numeric_limits<std::size_t>::max();
  bool eof = false;  // the peer closes the connection after the stream
};

Outcome observe(const ResponseParser& parser, const std::string& sink, std::size_t consumed) {
  Outcome o;
  o.complete = parser.complete();
  o.error = parser.error();
  o.consumed = consumed;
  if (parser.failed()) return o;  // the rest of the state of a failed parse is unspecified
  o.status = parser.status();
  o.version_minor = parser.version_minor();
  o.keep_alive = parser.keep_alive();
  o.chunked = parser.chunked();
  o.content_length = parser.content_length();
  o.body = sink;
  o.body_bytes = parser.body_bytes();
  o.body_truncated = parser.body_truncated();
  return o;
}

// Parses a stream of responses as a client would: each piece arrives in its own exactly sized
// heap buffer (so AddressSanitizer catches any read past it), which is scribbled over and freed
// right after feed(), as a recycled receive buffer would be. After each complete response the
// parser is reset and fed what is left of the piece.
std::vector<Outcome> parse_stream(std::string_view stream, const std::vector<std::size_t>& cuts,
                                  const Options& options) {
  ResponseParser parser(options.max_header_bytes);
  std::string sink;
  parser.set_body_sink(&sink, options.sink_limit);
  parser.set_head_request(options.head_request);
  std::vector<Outcome> outcomes;
  std::size_t consumed = 0;
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t piece_end = i < cuts.size() ? cuts[i] : stream.size();
    std::size_t offset = begin;
    while (offset < piece_end) {
      const std::size_t len = piece_end - offset;
      auto buffer = std::make_unique<char[]>(len);
      std::memcpy(buffer.get(), stream.data() + offset, len);
      EXPECT_EQ(parser.feed(buffer.get(), 0), 0u);
      const std::size_t n = parser.feed(buffer.get(), len);
      std::memset(buffer.get(), 0xA5, len);
      buffer.reset();
      EXPECT_LE(n, len);
      consumed += n;
      offset += n;
      if (parser.complete() || parser.failed()) {
        outcomes.push_back(observe(parser, sink, consumed));
        if (parser.failed()) return outcomes;
        parser.reset();
        parser.set_head_request(options.head_request);
        sink.clear();
        consumed = 0;
      } else if (n != len) {
        ADD_FAILURE() << "an unfinished parse consumed " << n << " of " << len << " bytes";
        return outcomes;
      }
    }
    begin = piece_end;
  }
  if (options.eof && parser.started()) {
    parser.feed_eof();
    outcomes.push_back(observe(parser, sink, consumed));
  } else if (parser.started()) {
    outcomes.push_back(observe(parser, sink, consumed));  // unfinished: shows up as a mismatch
  }
  return outcomes;
}

std::vector<std::size_t> byte_by_byte(std::size_t size) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < size; ++i) cuts.push_back(i);
  return cuts;
}

// One response of a fixture: its bytes in the stream and what the parser must make of them.
struct Part {
  std::string bytes;
  Outcome expected;
};

struct Fixture {
  Fixture(std::string name, std::vector<Part> parts, Options options = {})
      : name(std::move(name)), parts(std::move(parts)), options(options) {}

  std::string name;
  std::vector<Part> parts;
  Options options;

  std::string stream() const {
    std::string s;
    for (const auto& part : parts) s += part.bytes;
    return s;
  }
  std::vector<Outcome> expected() const {
    std::vector<Outcome> outcomes;
    for (const auto& part : parts) {
      outcomes.push_back(part.expected);
      if (outcomes.back().consumed != kUnchecked) outcomes.back().consumed = part.bytes.size();
    }
    return outcomes;
  }
};

std::ostream& operator<<(std::ostream& os, const Fixture& f) { return os << f.name; }

// Bytes 0..255 over and over, CR, LF and "HTTP/1.1" included, so a body looks like anything.
std::string big_body(std::size_t size) {
  std::string body;
  body.reserve(size);
  for (std::size_t i = 0; i < size; ++i) body += static_cast<char>((i * 7 + i / 256) & 0xff);
  body.replace(1000, 19, "\r\nHTTP/1.1 200 OK\r\n");
  return body;
}

std::string chunked_encoding(std::string_view body, std::size_t chunk_size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t at = 0; at < body.size(); at += chunk_size) {
    const std::size_t n = std::min(chunk_size, body.size() - at);
    std::string size;
    for (std::size_t v = n; v != 0; v >>= 4) size.insert(size.begin(), kHex[v & 15]);
    out += size + "\r\n";
    out += body.substr(at, n);
    out += "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::vector<Fixture> valid_fixtures() {
  const std::string big = big_body(16384);
  Options eof;
  eof.eof = true;
  Options head;
  head.head_request = true;
  Options small_sink;
  small_sink.sink_limit = 1000;
  return {
      {"content_length",
       {{"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n"
         "{\"outputs\":[1]}",
         ok(200, "{\"outputs\":[1]}").length(15)}}},
      {"content_length_zero",
       {{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", ok(200).length(0)}}},
      {"chunked_with_extensions_and_trailers",
       {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5;name=value\r\nhello\r\n7 ; a=\"b;c\"\r\n, world\r\n0;last\r\n"
         "X-Checksum: abc\r\nX-Trailer-2:\t1 \r\n\r\n",
         ok(200, "hello, world").is_chunked()}}},
      {"chunked_hex_sizes_and_coding_list",
       {{"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, Chunked\r\n\r\n"
         "00A\r\n0123456789\r\nb\r\nabcdefghijk\r\n000\r\n\r\n",
         ok(200, "0123456789abcdefghijk").is_chunked()}}},
      {"chunked_bare_lf_after_data",
       {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n",
         ok(200, "abc").is_chunked()}}},
      {"chunked_transfer_encoding_over_two_fields",
       {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
         "2\r\nhi\r\n0\r\n\r\n",
         ok(200, "hi").is_chunked()}}},
      {"close_delimited",
       {{"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the connection closes",
         ok(200, "until the connection closes").closes()}},
       eof},
      {"close_delimited_empty_body", {{"HTTP/1.1 200 OK\r\n\r\n", ok(200).closes()}}, eof},
      {"close_delimited_when_last_coding_is_not_chunked",
       {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\nContent-Length: 3\r\n\r\n"
         "abcdef",
         ok(200, "abcdef").closes().length(3)}},
       eof},
      {"connection_close",
       {{"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
         ok(200, "ok").closes().length(2)}}},
      {"connection_close_among_tokens",
       {{"HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\nContent-Length: 2\r\n\r\nok",
         ok(200, "ok").closes().length(2)}}},
      {"http10_without_keep_alive",
       {{"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
         ok(200, "ok").http10().closes().length(2)}}},
      {"http10_with_keep_alive",
       {{"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok",
         ok(200, "ok").http10().length(2)},
        {"HTTP/1.0 200 OK\r\nconnection: foo, keep-alive\r\nContent-Length: 1\r\n\r\nx",
         ok(200, "x").http10().length(1)}}},
      {"http10_keep_alive_misspelt",
       {{"HTTP/1.0 200 OK\r\nConnection: keep alive\r\nContent-Length: 2\r\n\r\nok",
         ok(200, "ok").http10().closes().length(2)}}},
      {"http10_close_delimited_despite_keep_alive",
       {{"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nbody", ok(200, "body").http10().closes()}},
       eof},
      {"no_body_204_despite_content_length",
       {{"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", ok(204).length(10)},
        {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", ok(200, "ok").length(2)}}},
      {"no_body_304_despite_content_length",
       {{"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 1234\r\n\r\n",
         ok(304).length(1234)},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
         ok(200, "ok").is_chunked()}}},
      {"continue_then_ok",
       {{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
         ok(200, "ok").length(2)}}},
      {"interim_fields_do_not_leak_into_final",
       {{"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nConnection: close\r\n"
         "Transfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n"
         "HTTP/1.1 100 Continue\r\n\r\n"
         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
         ok(200, "ok").length(2)}}},
      {"switching_protocols_is_final",
       {{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
         ok(101).closes()}}},
      {"pipelined",
       {{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst", ok(200, "first").length(5)},
        {"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n",
         ok(201, "second").is_chunked()},
        {"HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nthird", ok(404, "third").length(5)}}},
      {"large_body",
       {{"HTTP/1.1 200 OK\r\nContent-Length: 16384\r\n\r\n" + big, ok(200, big).length(16384)}}},
      {"large_chunked_body",
       {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_encoding(big, 5000),
         ok(200, big).is_chunked()}}},
      {"large_body_beyond_sink_limit",
       {{"HTTP/1.1 200 OK\r\nContent-Length: 16384\r\n\r\n" + big,
         ok(200, big).length(16384).truncated_to(1000)},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + big.substr(0, 1000),
         ok(200, big.substr(0, 1000)).length(1000)}},
       small_sink},
      {"mixed_case_names",
       {{"HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh: 3\r\nCONNECTION: KEEP-ALIVE\r\nX-MiXeD: Value\r\n\r\n"
         "abc",
         ok(200, "abc").length(3)},
        {"HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: CHUNKED\r\nconnection: Close\r\n\r\n"
         "1\r\nx\r\n0\r\n\r\n",
         ok(200, "x").is_chunked().closes()}}},
      {"names_that_almost_match",
       {{"HTTP/1.1 200 OK\r\nContent-Lengthx: 9\r\nXContent-Length: 9\r\nConnectio: close\r\n"
         "Transfer-Encodings: chunked\r\nContent-Length: 1\r\n\r\nx",
         ok(200, "x").length(1)}}},
      {"lf_only_lines",
       {{"HTTP/1.1 200 OK\nContent-Length: 3\nServer: x\n\nabc", ok(200, "abc").length(3)},
        {"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\nTrailer: x\n\n",
         ok(200, "abc").is_chunked()}}},
      {"empty_reason",
       {{"HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\nx", ok(200, "x").length(1)}}},
      {"missing_reason", {{"HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx", ok(200, "x").length(1)}}},
      {"reason_with_tab_and_obs_text",
       {{"HTTP/1.1 404 Not\tFound \xe2\x9c\x97\r\nContent-Length: 1\r\n\r\nx",
         ok(404, "x").length(1)}}},
      {"several_spaces_before_status_code",
       {{"HTTP/1.1   503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", ok(503).length(0)}}},
      {"leading_empty_lines",
       {{"\r\n\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", ok(200, "x").length(1)}}},
      {"head_request",
       {{"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", ok(200).length(1000)},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", ok(200)},
        {"HTTP/1.1 200 OK\r\n\r\n", ok(200)}},
       head},
      {"repeated_equal_content_length",
       {{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5 , 005\r\n\r\nhello",
         ok(200, "hello").length(5)}}},
      {"transfer_encoding_overrides_content_length",
       {{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
         "3\r\nabc\r\n0\r\n\r\n",
         ok(200, "abc").is_chunked().length(100)}}},
      {"whitespace_around_values",
       {{"HTTP/1.1 200 OK\r\nContent-Length: \t 3 \t\r\nConnection:close  \r\n\r\nabc",
         ok(200, "abc").length(3).closes()}}},
      {"empty_and_unusual_values",
       {{"HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Spaces:   \r\nX-Obs-Text: \x80\xff\r\n"
         "X-Colons: a:b::c\r\n!#$%&'*+-.^_`|~09azAZ: tchars\r\nConnection: , ,\r\n"
         "Content-Length: 1\r\n\r\nx",
         ok(200, "x").length(1)}}},
      {"long_header_value",
       {{"HTTP/1.1 200 OK\r\nX-Long: " + std::string(5000, 'v') + "\r\nContent-Length: 1\r\n\r\nx",
         ok(200, "x").length(1)}}},
      {"body_looks_like_a_response",
       {{"HTTP/1.1 200 OK\r\nContent-Length: 38\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
         ok(200, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").length(38)}}},
  };
}

std::vector<Fixture> invalid_fixtures() {
  Options eof;
  eof.eof = true;
  Options small_limit;
  small_limit.max_header_bytes = 64;
  const auto bad = [](std::string name, std::string bytes, ParseError error,
                      Options options = {}) {
    return Fixture{std::move(name), {{std::move(bytes), failure(error)}}, options};
  };
  using E = ParseError;
  const std::string ok_head = "HTTP/1.1 200 OK\r\n";
  const std::string chunked_head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  return {
      bad("garbage_before_status", "garbage\r\n" + ok_head + "\r\n", E::bad_status_line),
      bad("tls_handshake_bytes", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s,
          E::bad_status_line),
      bad("lowercase_protocol", "http/1.1 200 OK\r\n\r\n", E::bad_status_line),
      bad("bare_cr_before_status", "\rHTTP/1.1 200 OK\r\n\r\n", E::bad_status_line),
      bad("http2_version", "HTTP/2 200\r\n\r\n", E::bad_version),
      bad("http20_version", "HTTP/2.0 200 OK\r\n\r\n", E::bad_version),
      bad("http12_version", "HTTP/1.2 200 OK\r\n\r\n", E::bad_version),
      bad("http110_version", "HTTP/1.10 200 OK\r\n\r\n", E::bad_version),
      bad("version_without_status", "HTTP/1.1\r\n\r\n", E::bad_version),
      bad("two_digit_status", "HTTP/1.1 20 OK\r\n\r\n", E::bad_status_code),
      bad("four_digit_status", "HTTP/1.1 2000 OK\r\n\r\n", E::bad_status_code),
      bad("alpha_status", "HTTP/1.1 abc OK\r\n\r\n", E::bad_status_code),
      bad("status_with_leading_zero", "HTTP/1.1 099 Odd\r\n\r\n", E::bad_status_code),
      bad("status_glued_to_reason", "HTTP/1.1 200OK\r\n\r\n", E::bad_status_code),
      bad("missing_status", "HTTP/1.1 \r\n\r\n", E::bad_status_code),
      bad("control_char_in_reason", "HTTP/1.1 200 O\x01K\r\n\r\n", E::bad_status_line),
      bad("cr_without_lf_in_status_line", "HTTP/1.1 200 OK\rX\r\n\r\n", E::bad_status_line),
      bad("header_without_colon", ok_head + "Foo bar\r\n\r\n", E::bad_header),
      bad("header_name_only", ok_head + "Foo\r\n\r\n", E::bad_header),
      bad("space_before_colon", ok_head + "Foo : bar\r\n\r\n", E::bad_header),
      bad("obsolete_line_folding", ok_head + "Foo: a\r\n b\r\nContent-Length: 0\r\n\r\n",
          E::bad_header),
      bad("whitespace_before_first_field", ok_head + " Foo: a\r\n\r\n", E::bad_header),
      bad("control_char_in_name", ok_head + "Fo\x01o: x\r\n\r\n", E::bad_header),
      bad("non_ascii_in_name", ok_head + "F\xc3\xa9: x\r\n\r\n", E::bad_header),
      bad("empty_name", ok_head + ": x\r\n\r\n", E::bad_header),
      bad("nul_in_value", ok_head + "Foo: a\0b\r\n\r\n"s, E::bad_header),
      bad("del_in_value", ok_head + "Foo: a\x7f\r\n\r\n", E::bad_header),
      bad("bare_cr_in_value", ok_head + "Foo: a\rb\r\n\r\n", E::bad_header),
      bad("cr_without_lf_ending_fields", ok_head + "Foo: a\r\n\rX", E::bad_header),
      bad("conflicting_content_length_fields",
          ok_head + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
          E::conflicting_content_length),
      bad("conflicting_content_length_list", ok_head + "Content-Length: 5, 6\r\n\r\nhello!",
          E::conflicting_content_length),
      bad("content_length_not_a_number", ok_head + "Content-Length: abc\r\n\r\n",
          E::bad_content_length),
      bad("content_length_negative", ok_head + "Content-Length: -1\r\n\r\n",
          E::bad_content_length),
      bad("content_length_plus_sign", ok_head + "Content-Length: +5\r\n\r\nhello",
          E::bad_content_length),
      bad("content_length_hex", ok_head + "Content-Length: 0x10\r\n\r\n", E::bad_content_length),
      bad("content_length_empty", ok_head + "Content-Length: \r\n\r\n", E::bad_content_length),
      bad("content_length_two_numbers", ok_head + "Content-Length: 1 2\r\n\r\n",
          E::bad_content_length),
      bad("content_length_trailing_comma", ok_head + "Content-Length: 5,\r\n\r\nhello",
          E::bad_content_length),
      bad("content_length_leading_comma", ok_head + "Content-Length: ,5\r\n\r\nhello",
          E::bad_content_length),
      bad("content_length_overflow", ok_head + "Content-Length: 18446744073709551616\r\n\r\n",
          E::bad_content_length),
      bad("content_length_uint64_max", ok_head + "Content-Length: 18446744073709551615\r\n\r\n",
          E::bad_content_length),
      bad("content_length_bad_in_interim",
          "HTTP/1.1 100 Continue\r\nContent-Length: x\r\n\r\n" + ok_head + "\r\n",
          E::bad_content_length),
      bad("chunk_size_not_hex", chunked_head + "zz\r\n", E::bad_chunk),
      bad("chunk_size_empty", chunked_head + "\r\n\r\n", E::bad_chunk),
      bad("chunk_size_followed_by_junk", chunked_head + "5x\r\nhello\r\n0\r\n\r\n", E::bad_chunk),
      bad("chunk_size_negative", chunked_head + "-1\r\n", E::bad_chunk),
      bad("chunk_size_cr_without_lf", chunked_head + "5\rhello", E::bad_chunk),
      bad("chunk_ext_with_control_char", chunked_head + "5;a\x01\r\nhello\r\n", E::bad_chunk),
      bad("chunk_data_without_crlf", chunked_head + "5\r\nhelloX\r\n0\r\n\r\n", E::bad_chunk),
      bad("chunk_data_cr_without_lf", chunked_head + "5\r\nhello\rX", E::bad_chunk),
      bad("chunk_data_longer_than_size", chunked_head + "3\r\nhello\r\n0\r\n\r\n", E::bad_chunk),
      bad("chunk_size_overflow", chunked_head + "10000000000000000\r\n", E::bad_chunk),
      bad("chunk_size_overflow_after_leading_zeros",
          chunked_head + "0000ffffffffffffffff0\r\n", E::bad_chunk),
      bad("bad_trailer_field", chunked_head + "0\r\nnot a field\r\n\r\n", E::bad_header),
      bad("header_too_large", "HTTP/1.1 200 OK\r\nX-Long: " + std::string(100, 'x') + "\r\n\r\n",
          E::header_too_large, small_limit),
      bad("header_too_large_over_interim",
          "HTTP/1.1 100 Continue\r\nX-Pad: 0123456789012345678901234567890\r\n\r\n"
          "HTTP/1.1 200 OK\r\n\r\n",
          E::header_too_large, small_limit),
      bad("trailer_too_large",
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Long: " +
              std::string(100, 'x') + "\r\n\r\n",
          E::header_too_large, small_limit),
      bad("chunk_extension_too_long", chunked_head + "5;" + std::string(100, 'e') + "\r\n",
          E::bad_chunk, small_limit),
      bad("chunk_leading_zeros_too_long", chunked_head + std::string(100, '0') + "5\r\n",
          E::bad_chunk, small_limit),
      bad("eof_in_status_line", "HTTP/1.1 20", E::unexpected_eof, eof),
      bad("eof_in_headers", ok_head + "Content-Le", E::unexpected_eof, eof),
      bad("eof_after_interim", "HTTP/1.1 100 Continue\r\n\r\n", E::unexpected_eof, eof),
      bad("eof_in_content_length_body", ok_head + "Content-Length: 10\r\n\r\nabc",
          E::unexpected_eof, eof),
      bad("eof_in_chunk_size", chunked_head + "1", E::unexpected_eof, eof),
      bad("eof_in_chunked_body", chunked_head + "5\r\nhel", E::unexpected_eof, eof),
      bad("eof_before_last_chunk", chunked_head + "5\r\nhello\r\n", E::unexpected_eof, eof),
      bad("eof_in_trailers", chunked_head + "0\r\nX-T: 1\r\n", E::unexpected_eof, eof),
      // A good response first: the error belongs to the second one, at the right offset.
      Fixture{"error_in_pipelined_response",
              {{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", ok(200, "ok").length(2)},
               {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBad Header\r\n\r\nok",
                failure(E::bad_header)}},
              {}},
  };
}

// For failures the expectation leaves the consumed count open; splits must still agree on it.
std::vector<Outcome> comparable(std::vector<Outcome> actual, const std::vector<Outcome>& expected) {
  for (std::size_t i = 0; i < actual.size() && i < expected.size(); ++i) {
    if (expected[i].consumed == kUnchecked) actual[i].consumed = kUnchecked;
  }
  return actual;
}

std::string test_name(const testing::TestParamInfo<Fixture>& info) { return info.param.name; }

class FixtureTest : public testing::TestWithParam<Fixture> {};

TEST_P(FixtureTest, WholeStreamGivesExpectedOutcomes) {
  const Fixture& f = GetParam();
  const std::vector<Outcome> expected = f.expected();
  EXPECT_EQ(comparable(parse_stream(f.stream(), {}, f.options), expected), expected);
}

TEST_P(FixtureTest, EverySplitPointGivesSameOutcomes) {
  const Fixture& f = GetParam();
  const std::string stream = f.stream();
  const std::vector<Outcome> whole = parse_stream(stream, {}, f.options);
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    const std::vector<Outcome> split = parse_stream(stream, {cut}, f.options);
    ASSERT_EQ(split, whole) << "split at " << cut;
  }
}

TEST_P(FixtureTest, ByteByByteGivesSameOutcomes) {
  const Fixture& f = GetParam();
  const std::string stream = f.stream();
  EXPECT_EQ(parse_stream(stream, byte_by_byte(stream.size()), f.options),
            parse_stream(stream, {}, f.options));
}

INSTANTIATE_TEST_SUITE_P(Valid, FixtureTest, testing::ValuesIn(valid_fixtures()), test_name);
INSTANTIATE_TEST_SUITE_P(Invalid, FixtureTest, testing::ValuesIn(invalid_fixtures()), test_name);

// ---------------------------------------------------------------------------------------------
// Contract details not covered by the fixture table.

TEST(ResponseParserTest, ErrorNamesAreShortLowercaseText) {
  EXPECT_STREQ(to_string(ParseError::bad_chunk), "bad chunk");
  EXPECT_STREQ(to_string(ParseError::unexpected_eof), "unexpected eof");
  std::vector<std::string> names;
  for (int e = 0; e <= static_cast<int>(ParseError::unexpected_eof); ++e) {
    const std::string name = to_string(static_cast<ParseError>(e));
    EXPECT_FALSE(name.empty());
    EXPECT_TRUE(std::none_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
        << name;
    EXPECT_EQ(std::count(names.begin(), names.end(), name), 0) << name;
    names.push_back(name);
  }
}

TEST(ResponseParserTest, EofBeforeAnyByteIsUnexpected) {
  ResponseParser parser;
  EXPECT_FALSE(parser.started());
  parser.feed_eof();
  EXPECT_TRUE(parser.failed());
  EXPECT_EQ(parser.error(), ParseError::unexpected_eof);
  EXPECT_FALSE(parser.started());
}

TEST(ResponseParserTest, NothingIsConsumedAfterCompletionOrFailure) {
  ResponseParser parser;
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA";
  EXPECT_EQ(parser.feed(response.data(), response.size()), response.size() - 5);
  ASSERT_TRUE(parser.complete());
  EXPECT_EQ(parser.feed(response.data(), response.size()), 0u);
  parser.feed_eof();  // a close after a complete response changes nothing
  EXPECT_TRUE(parser.complete());
  EXPECT_EQ(parser.error(), ParseError::none);

  parser.reset();
  const std::string garbage = "garbage";
  EXPECT_EQ(parser.feed(garbage.data(), garbage.size()), 0u);  // the fault is the first byte
  ASSERT_TRUE(parser.failed());
  EXPECT_EQ(parser.feed(response.data(), response.size()), 0u);
  parser.feed_eof();
  EXPECT_EQ(parser.error(), ParseError::bad_status_line);
}

TEST(ResponseParserTest, ProgressIsVisibleBeforeCompletion) {
  ResponseParser parser;
  std::string sink;
  parser.set_body_sink(&sink, 100);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n";
  parser.feed(head.data(), head.size());
  EXPECT_TRUE(parser.started());
  EXPECT_FALSE(parser.headers_done());
  EXPECT_EQ(parser.status(), 0);  // not final until the fields are done
  parser.feed("\r\n01234", 7);
  EXPECT_TRUE(parser.headers_done());
  EXPECT_EQ(parser.status(), 200);
  EXPECT_EQ(parser.content_length(), 10u);
  EXPECT_EQ(parser.body_bytes(), 5u);
  EXPECT_EQ(sink, "01234");
  EXPECT_FALSE(parser.complete());
}

TEST(ResponseParserTest, CloseDelimitedBodyIsKnownNotToKeepAliveBeforeEof) {
  ResponseParser parser;
  const std::string response = "HTTP/1.1 200 OK\r\n\r\nsome";
  EXPECT_EQ(parser.feed(response.data(), response.size()), response.size());
  EXPECT_TRUE(parser.headers_done());
  EXPECT_FALSE(parser.keep_alive());
  EXPECT_FALSE(parser.complete());
  parser.feed_eof();
  EXPECT_TRUE(parser.complete());
  EXPECT_EQ(parser.body_bytes(), 4u);
}

TEST(ResponseParserTest, ResetClearsHeadFlagButKeepsSink) {
  ResponseParser parser;
  std::string sink;
  parser.set_body_sink(&sink, 3);
  parser.set_head_request(true);
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  const std::string body = "hello";
  EXPECT_EQ(parser.feed(response.data(), response.size()), response.size());
  EXPECT_TRUE(parser.complete());
  EXPECT_EQ(parser.body_bytes(), 0u);

  parser.reset();
  EXPECT_FALSE(parser.started());
  parser.feed(response.data(), response.size());
  EXPECT_FALSE(parser.complete());  // not a HEAD response any more: the body follows
  parser.feed(body.data(), body.size());
  EXPECT_TRUE(parser.complete());
  EXPECT_EQ(sink, "hel");
  EXPECT_TRUE(parser.body_truncated());
  EXPECT_EQ(parser.body_bytes(), 5u);

  parser.reset();
  EXPECT_FALSE(parser.body_truncated());
  sink.clear();
  const std::string again = response + body;
  parser.feed(again.data(), again.size());
  EXPECT_EQ(sink, "hel");  // the limit is per response
}

TEST(ResponseParserTest, HeaderLimitTripsAtExactlyOneByteOver) {
  const std::string head = "HTTP/1.1 200 OK\r\nServer: test\r\nContent-Length: 2\r\n\r\n";
  const std::string stream = head + "ok";
  for (std::size_t limit : {head.size() - 1, head.size()}) {
    Options options;
    options.max_header_bytes = limit;
    Outcome success = ok(200, "ok").length(2);
    success.consumed = stream.size();
    const std::vector<Outcome> expected = {
        limit < head.size() ? failure(ParseError::header_too_large) : success};
    const auto whole = parse_stream(stream, {}, options);
    EXPECT_EQ(comparable(whole, expected), expected) << "limit " << limit;
    for (std::size_t cut = 1; cut < stream.size(); ++cut) {
      ASSERT_EQ(parse_stream(stream, {cut}, options), whole) << "limit " << limit << " cut " << cut;
    }
    EXPECT_EQ(parse_stream(stream, byte_by_byte(stream.size()), options), whole);
  }
}

TEST(ResponseParserTest, LeftoverAfterResponseIsExactlyTheNextOne) {
  const std::string first = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
  const std::string second = "HTTP/1.1 204 No Content\r\n\r\n";
  const std::string stream = first + second;
  ResponseParser parser;
  const std::size_t n = parser.feed(stream.data(), stream.size());
  ASSERT_EQ(n, first.size());
  ASSERT_TRUE(parser.complete());
  parser.reset();
  EXPECT_EQ(parser.feed(stream.data() + n, stream.size() - n), second.size());
  EXPECT_TRUE(parser.complete());
  EXPECT_EQ(parser.status(), 204);
}

// ---------------------------------------------------------------------------------------------
// Randomized streams: generated from a fixed seed, so a failure is reproducible.

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  // std::uniform_int_distribution differs between standard libraries; this does not.
  std::uint64_t below(std::uint64_t n) { return engine_() % n; }
  bool one_in(std::uint64_t n) { return below(n) == 0; }
  template <typename T, std::size_t N>
  const T& pick(const T (&items)[N]) { return items[below(N)]; }

 private:
  std::mt19937_64 engine_;
};

std::string random_case(Random& random, std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z' && random.one_in(2)) c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string random_ows(Random& random) {
  static const char* const kWhitespace[] = {"", "", "", " ", "\t", "  ", " \t "};
  return random.pick(kWhitespace);
}

std::string random_bytes(Random& random, std::size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(random.below(256));
  return out;
}

std::string random_field_value(Random& random) {
  std::string value;
  const std::size_t n = random.below(4) == 0 ? random.below(300) : random.below(30);
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = random.below(20);
    if (r == 0) {
      value += '\t';
    } else if (r == 1) {
      value += static_cast<char>(0x80 + random.below(128));  // obs-text
    } else {
      value += static_cast<char>(0x20 + random.below(0x7f - 0x20));
    }
  }
  // Line-end characters are never in a value; leading and trailing OWS are added separately.
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
  return value;
}

struct GeneratedResponse {
  std::string bytes;
  Outcome expected;
};

// A random response: interim responses first, a random field set, and a random framing.
// Close-delimited framing only when `last` (nothing may follow it on the connection).
GeneratedResponse random_response(Random& random, bool last, bool head, std::size_t sink_limit) {
  std::string eol_choices[] = {"\r\n", "\r\n", "\r\n", "\r\n", "\n"};
  const auto eol = [&] { return random.pick(eol_choices); };
  const auto field = [&](std::string_view name, std::string_view value) {
    return random_case(random, name) + ":" + random_ows(random) + std::string(value) +
           random_ows(random) + eol();
  };
  static const char* const kOtherNames[] = {
      "content-type", "date", "server", "x-request-id", "x-envoy-upstream-service-time",
      "cache-control", "vary", "set-cookie", "content-lengthx", "connections", "te",
      "transfer-encodin", "link"};

  std::string bytes;
  while (random.one_in(6)) {  // interim responses, whose fields must not leak
    bytes += random.one_in(2) ? "HTTP/1.1 100 Continue" : "HTTP/1.1 103 Early Hints";
    bytes += eol();
    if (random.one_in(2)) bytes += field("connection", "close");
    if (random.one_in(2)) bytes += field("content-length", "12345");
    bytes += eol();
  }

  static const int kStatuses[] = {200, 200, 200, 201, 204, 304, 400, 404, 500, 503};
  const int status = random.pick(kStatuses);
  const int minor = random.one_in(5) ? 0 : 1;
  bytes += "HTTP/1." + std::to_string(minor) + " " + std::to_string(status);
  if (!random.one_in(8)) bytes += " Reason Phrase";
  bytes += eol();

  bool close = false;
  bool keep_alive_token = false;
  std::vector<std::string> fields;
  for (auto n = random.below(7); n > 0; --n) {
    fields.push_back(field(random.pick(kOtherNames), random_field_value(random)));
  }
  switch (random.below(6)) {
    case 0:
      fields.push_back(field("connection", "close"));
      close = true;
      break;
    case 1:
      fields.push_back(field("connection", "keep-alive"));
      keep_alive_token = true;
      break;
    case 2:
      fields.push_back(field("connection", "Upgrade, Keep-Alive"));
      keep_alive_token = true;
      break;
    default:
      break;
  }

  enum class Framing { length, chunked, until_close };
  Framing framing = Framing::length;
  const auto r = random.below(10);
  if (r < 4) {
    framing = Framing::chunked;
  } else if (r == 4 && last) {
    framing = Framing::until_close;
  }
  const bool no_body = head || status == 204 || status == 304;
  const std::string body = random_bytes(random, random.one_in(3) ? random.below(3000) : random.below(50));

  Outcome expected = ok(status);
  expected.version_minor = minor;
  std::string body_bytes;
  if (framing == Framing::length) {
    const std::string length = std::to_string(body.size());
    fields.push_back(field("content-length", random.one_in(5) ? length + ", " + length : length));
    if (random.one_in(5)) fields.push_back(field("Content-Length", length));
    expected.content_length = body.size();
    body_bytes = body;
  } else if (framing == Framing::chunked) {
    fields.push_back(field("transfer-encoding", random.one_in(4) ? "gzip, chunked" : "chunked"));
    expected.chunked = true;
    for (std::size_t at = 0; at < body.size();) {
      const std::size_t n = std::min<std::size_t>(1 + random.below(700), body.size() - at);
      char size[32];
      std::snprintf(size, sizeof size, random.one_in(2) ? "%zx" : "%zX", n);
      body_bytes += (random.one_in(10) ? "00" : "") + std::string(size);
      if (random.one_in(5)) body_bytes += random.one_in(2) ? ";ext=1" : " ; name=\"v\"";
      body_bytes += eol() + body.substr(at, n) + eol();
      at += n;
    }
    body_bytes += random.one_in(3) ? "0;final" : "0";
    body_bytes += eol();
    for (auto n = random.below(3); n > 0; --n) {
      body_bytes += field(random.pick(kOtherNames), random_field_value(random));
    }
    body_bytes += eol();
  } else {
    body_bytes = body;
    expected.keep_alive = false;
  }
  // Shuffle so the framing fields are anywhere among the others.
  for (std::size_t i = fields.size(); i > 1; --i) std::swap(fields[i - 1], fields[random.below(i)]);
  for (const auto& f : fields) bytes += f;
  bytes += eol();

  if (no_body) {
    body_bytes.clear();
    expected.chunked = false;  // nothing is framed
    if (framing == Framing::until_close) expected.keep_alive = true;  // no body to delimit
  } else {
    expected.body = body.substr(0, std::min(body.size(), sink_limit));
    expected.body_bytes = body.size();
    expected.body_truncated = body.size() > sink_limit;
  }
  bytes += body_bytes;
  if (close || (minor == 0 && !keep_alive_token)) expected.keep_alive = false;
  expected.consumed = bytes.size();
  return {bytes, expected};
}

struct GeneratedStream {
  std::string bytes;
  std::vector<Outcome> expected;
  Options options;
};

GeneratedStream random_stream(Random& random) {
  GeneratedStream stream;
  stream.options.head_request = random.one_in(10);
  stream.options.sink_limit =
      random.one_in(5) ? random.below(100) : std::numeric_limits<std::size_t>::max();
  const auto count = 1 + random.below(4);
  for (std::uint64_t i = 0; i < count; ++i) {
    auto response = random_response(random, i + 1 == count, stream.options.head_request,
                                    stream.options.sink_limit);
    stream.bytes += response.bytes;
    stream.expected.push_back(std::move(response.expected));
  }
  // A close after the last response must not change anything, and is needed for the last
  // response if it is close-delimited.
  stream.options.eof = !stream.expected.back().keep_alive || random.one_in(2);
  return stream;
}

std::vector<std::size_t> random_cuts(Random& random, std::size_t size) {
  std::vector<std::size_t> cuts;
  if (size < 2) return cuts;
  const auto n = random.one_in(4) ? random.below(size) : random.below(8);
  for (std::uint64_t i = 0; i < n; ++i) cuts.push_back(1 + random.below(size - 1));
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  return cuts;
}

TEST(ResponseParserRandomTest, RandomStreamsAtRandomSplits) {
  Random random(0x5eed'1e55'0000'0001ULL);
  // How often each case came up, so that a change to the generator cannot quietly stop
  // exercising one.
  int chunked = 0, until_close = 0, no_body = 0, truncated = 0, http10 = 0, pipelined = 0;
  for (int i = 0; i < 3000; ++i) {
    const GeneratedStream stream = random_stream(random);
    pipelined += stream.expected.size() > 1;
    for (const Outcome& o : stream.expected) {
      chunked += o.chunked;
      until_close += !o.keep_alive && !o.chunked && o.content_length == UINT64_MAX;
      no_body += o.body_bytes == 0 && (stream.options.head_request || o.status == 204 ||
                                       o.status == 304);
      truncated += o.body_truncated;
      http10 += o.version_minor == 0;
    }
    SCOPED_TRACE("stream " + std::to_string(i) + ": " + printable(stream.bytes.substr(0, 300)));
    ASSERT_EQ(parse_stream(stream.bytes, {}, stream.options), stream.expected);
    for (int split = 0; split < 4; ++split) {
      const auto cuts = random_cuts(random, stream.bytes.size());
      ASSERT_EQ(parse_stream(stream.bytes, cuts, stream.options), stream.expected)
          << cuts.size() << " cuts";
    }
    if (stream.bytes.size() < 2000) {
      ASSERT_EQ(parse_stream(stream.bytes, byte_by_byte(stream.bytes.size()), stream.options),
                stream.expected);
    }
  }
  for (int count : {chunked, until_close, no_body, truncated, http10, pipelined}) {
    EXPECT_GT(count, 100);
  }
}

// Whatever the bytes, the outcome must not depend on how they were split.
TEST(ResponseParserRandomTest, MutatedStreamsGiveSameOutcomesAtAnySplit) {
  Random random(0x5eed'1e55'0000'0002ULL);
  static const char kInteresting[] = {'\r', '\n', ' ', '\t', ':', ',', ';', '0', '9', 'a',
                                      'F', 'H', '\0', '\x7f', '\x80', 'x'};
  std::vector<int> seen(static_cast<std::size_t>(ParseError::unexpected_eof) + 1);  // by error
  for (int i = 0; i < 3000; ++i) {
    GeneratedStream stream = random_stream(random);
    std::string& bytes = stream.bytes;
    for (auto n = 1 + random.below(3); n > 0; --n) {
      const std::size_t at = random.below(bytes.size());
      switch (random.below(3)) {
        case 0: bytes[at] = random.pick(kInteresting); break;
        case 1: bytes.erase(at, 1 + random.below(4)); break;
        default: bytes.insert(at, 1, random.pick(kInteresting)); break;
      }
      if (bytes.empty()) bytes.push_back('H');
    }
    if (random.one_in(4)) bytes.resize(random.below(bytes.size() + 1));
    stream.options.eof = random.one_in(2);
    if (random.one_in(3)) stream.options.max_header_bytes = 20 + random.below(200);
    SCOPED_TRACE("stream " + std::to_string(i) + ": " + printable(bytes.substr(0, 300)));
    const auto whole = parse_stream(bytes, {}, stream.options);
    for (const Outcome& o : whole) ++seen[static_cast<std::size_t>(o.error)];
    for (int split = 0; split < 4; ++split) {
      const auto cuts = random_cuts(random, bytes.size());
      ASSERT_EQ(parse_stream(bytes, cuts, stream.options), whole) << cuts.size() << " cuts";
    }
    if (bytes.size() < 2000) {
      ASSERT_EQ(parse_stream(bytes, byte_by_byte(bytes.size()), stream.options), whole);
    }
  }
  for (std::size_t e = 0; e < seen.size(); ++e) {
    EXPECT_GT(seen[e], 0) << to_string(static_cast<ParseError>(e));
  }
}

// ---------------------------------------------------------------------------------------------
// Lines that are whole in the input are parsed a line at a time, 16 bytes per step; a line split
// across feeds is parsed byte by byte. Splitting at every byte makes the two meet on every
// fixture; the fixtures and tests below aim at where they differ: lines across several 16-byte
// steps, tabs and obs-text inside them, names and values that only the byte-wise states take,
// errors late in long lines, and the head limit falling anywhere in a line.

// Fields whose names and values end at every offset within a 16-byte step.
std::string fields_of_every_length() {
  std::string fields;
  for (std::size_t n = 0; n < 40; ++n) {
    std::string value(n, 'v');
    if (n >= 4) value[n / 2] = '\t';
    if (n >= 8) value[n - 3] = '\xe9';
    fields.append("x").append(n, 'n').append(":").append(value).append(n % 3 == 0 ? "\n" : "\r\n");
  }
  return fields;
}

std::string every_byte_from(unsigned first) {
  std::string bytes;
  for (unsigned c = first; c < 256; ++c) bytes += static_cast<char>(c);
  return bytes;
}

std::vector<Fixture> line_fixtures() {
  Options eof;
  eof.eof = true;
  const std::string fifteen(15, 'f');
  return {
      {"names_and_values_ending_at_every_offset",
       {{"HTTP/1.1 200 OK\r\n" + fields_of_every_length() + "Content-Length: 2\r\n\r\nok",
         ok(200, "ok").length(2)}}},
      {"tabs_and_obs_text_across_steps",
       {{"HTTP/1.1 200 Reason\twith tabs\tand \xc3\xa9\xe2\x9c\x97, longer than sixteen\r\n"
         "X-Tabs:\t" + std::string(20, 'a') + "\t\t" + std::string(20, 'b') + "\t\r\n"
         "X-Obs-Text: " + every_byte_from(0x80) + "\r\n"
         "X-Printable: " + every_byte_from(0x20).substr(0, 0x7f - 0x20) + "\r\n"
         "Content-Length: 1\r\n\r\nx",
         ok(200, "x").length(1)}}},
      {"names_with_uncommon_tchars",
       {{"HTTP/1.1 200 OK\r\nX_Under: 1\r\nx.dot: 2\r\n!bang: 3\r\n"
         "X-" + std::string(20, 'a') + "_tail: 4\r\nContent_Length: 9\r\n"
         "Content-Length~: 9\r\nContent-Length: 2\r\n\r\nok",
         ok(200, "ok").length(2)}}},
      {"long_name_then_interpreted_field",
       {{"HTTP/1.1 200 OK\r\nX-" + std::string(100, 'n') + ": v\r\ncontent-length: 2\r\n\r\nok",
         ok(200, "ok").length(2)}}},
      {"content_length_in_every_form",
       {{"HTTP/1.1 200 OK\r\nContent-Length:3\r\nContent-Length: \t3 \t\r\n"
         "content-length: 0000000000000000003\r\nCONTENT-LENGTH: " + std::string(40, '0') + "3\r\n"
         "Content-Length: 3, 3\r\n\r\nabc",
         ok(200, "abc").length(3)}}},
      {"largest_content_length_taken_in_one_go",
       {{"HTTP/1.1 204 No Content\r\nContent-Length: 9999999999999999999\r\n\r\n",
         ok(204).length(9999999999999999999ULL)},
        {"HTTP/1.1 204 No Content\r\nContent-Length: 18446744073709551614\r\n\r\n",
         ok(204).length(18446744073709551614ULL)}}},
      {"transfer_encoding_and_chunk_sizes_in_every_form",
       {{"HTTP/1.1 200 OK\r\nTransfer-Encoding:\t chunked \t\r\n\r\n"
         "00000000000000f\r\n" + fifteen + "\r\n"  // 15 digits: taken in one go
         "000000000000000f\r\n" + fifteen + "\r\n"  // 16 digits: taken byte by byte
         "3;ext\r\nabc\n2 \r\nde\r\n1\nx\r\n0\r\n\r\n",
         ok(200, fifteen + fifteen + "abcdex").is_chunked()}}},
      {"transfer_encoding_not_ending_in_chunked",
       {{"HTTP/1.1 200 OK\r\ntransfer-encoding: identity\r\n\r\nbody", ok(200, "body").closes()}},
       eof},
      {"connection_tokens_in_every_form",
       {{"HTTP/1.0 200 OK\r\nConnection:keep-alive\r\nContent-Length: 1\r\n\r\nx",
         ok(200, "x").http10().length(1)},
        {"HTTP/1.0 200 OK\nconnection: \tKeep-Alive \t\nContent-Length: 1\n\nx",
         ok(200, "x").http10().length(1)},
        {"HTTP/1.0 200 OK\r\nConnection: upgrade\r\nConnection: keep-alive, foo\r\n"
         "Content-Length: 1\r\n\r\nx",
         ok(200, "x").http10().length(1)},
        {"HTTP/1.1 200 OK\r\nConnection: CLOSE\r\nContent-Length: 1\r\n\r\nx",
         ok(200, "x").closes().length(1)}}},
      {"trailer_fields_never_frame",
       {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n"
         "Content-Length: 99\r\nConnection: close\r\nTransfer-Encoding: gzip\r\n\r\n",
         ok(200, "ok").is_chunked()}}},
      {"status_lines_in_every_form",
       {{"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", ok(200).http10().closes().length(0)},
        {"HTTP/1.1 404\nContent-Length: 0\n\n", ok(404).length(0)},
        {"HTTP/1.1 500 \r\nContent-Length: 0\r\n\r\n", ok(500).length(0)},
        {"HTTP/1.1  200 Two spaces\r\nContent-Length: 0\r\n\r\n", ok(200).length(0)},
        {"\r\nHTTP/1.1 200 After an empty line\r\nContent-Length: 0\r\n\r\n", ok(200).length(0)}}},
  };
}

std::vector<Fixture> invalid_line_fixtures() {
  const auto bad = [](std::string name, std::string bytes, ParseError error) {
    return Fixture{std::move(name), {{std::move(bytes), failure(error)}}, {}};
  };
  using E = ParseError;
  const std::string ok_head = "HTTP/1.1 200 OK\r\n";
  const std::string v40(40, 'v');
  return {
      bad("control_char_late_in_long_value", ok_head + "X-Long: " + v40 + "\x01vv\r\n\r\n",
          E::bad_header),
      bad("del_late_in_long_reason", "HTTP/1.1 200 " + v40 + "\x7f\r\n\r\n", E::bad_status_line),
      bad("bare_cr_after_long_value", ok_head + "X-Long: " + v40 + "\rX\r\n\r\n", E::bad_header),
      bad("obs_text_late_in_long_name", ok_head + "X-" + v40 + "\x80: x\r\n\r\n", E::bad_header),
      bad("tab_in_name", ok_head + "X\tY: z\r\n\r\n", E::bad_header),
      bad("space_in_long_name", ok_head + "X-" + v40 + " Y: z\r\n\r\n", E::bad_header),
      bad("conflicting_content_length_each_in_one_go",
          ok_head + "Content-Length: 5\r\nX: y\r\nContent-Length: 6\r\n\r\nhello!",
          E::conflicting_content_length),
      bad("content_length_19_digits_then_letter",
          ok_head + "Content-Length: 1234567890123456789x\r\n", E::bad_content_length),
      bad("chunk_size_15_digits_then_letter",
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000fz\r\n",
          E::bad_chunk),
      bad("lf_cr_ending_fields", ok_head + "X: y\n\rX", E::bad_header),
  };
}

INSTANTIATE_TEST_SUITE_P(Lines, FixtureTest, testing::ValuesIn(line_fixtures()), test_name);
INSTANTIATE_TEST_SUITE_P(InvalidLines, FixtureTest, testing::ValuesIn(invalid_line_fixtures()),
                         test_name);

// The fixtures leave error offsets open; the offset of the byte at fault is part of the contract.
TEST(ResponseParserLineTest, ErrorsAreReportedAtTheFaultyByteHoweverSplit) {
  struct Case {
    std::string stream;
    ParseError error;
    std::size_t offset;
  };
  const std::string ok_head = "HTTP/1.1 200 OK\r\n";
  const std::string chunked_head = ok_head + "Transfer-Encoding: chunked\r\n\r\n";
  const std::string v40(40, 'v');
  const auto at = [](const std::string& s, std::string_view what) { return s.find(what); };
  std::vector<Case> cases;
  const auto add = [&](std::string stream, ParseError error, std::string_view fault) {
    const std::size_t offset = at(stream, fault);
    cases.push_back({std::move(stream), error, offset});
  };
  using E = ParseError;
  add(ok_head + "X-Long: " + v40 + "\x01vv\r\n\r\n", E::bad_header, "\x01");
  add("HTTP/1.1 200 " + v40 + "\x7f\r\n\r\n", E::bad_status_line, "\x7f");
  add(ok_head + "X-Long: " + v40 + "\rX\r\n\r\n", E::bad_header, "X\r");
  add(ok_head + "X-" + v40 + "\x80: x\r\n\r\n", E::bad_header, "\x80");
  add(ok_head + "Foo : bar\r\n\r\n", E::bad_header, " :");
  add(ok_head + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", E::conflicting_content_length,
      "\r\n\r\n");
  add(ok_head + "Content-Length: 12a\r\n\r\n", E::bad_content_length, "a\r");
  add(ok_head + "Content-Length: 1, 2\r\n\r\n", E::conflicting_content_length, "\r\n\r\n");
  add("HTTP/1.2 200 OK\r\n\r\n", E::bad_version, "2 ");
  add("HTTP/1.1 200 OK\rX\r\n\r\n", E::bad_status_line, "X");
  add(chunked_head + "5x\r\nhello\r\n0\r\n\r\n", E::bad_chunk, "x");
  add(chunked_head + "5\r\nhelloX\r\n0\r\n\r\n", E::bad_chunk, "X");
  add(chunked_head + "0\r\nX\tY: z\r\n\r\n", E::bad_header, "\tY");
  for (const Case& c : cases) {
    ASSERT_NE(c.offset, std::string::npos) << printable(c.stream);
    Outcome expected = failure(c.error);
    expected.consumed = c.offset;
    SCOPED_TRACE(printable(c.stream));
    EXPECT_EQ(parse_stream(c.stream, {}, {}), std::vector<Outcome>{expected});
    for (std::size_t cut = 1; cut < c.stream.size(); ++cut) {
      ASSERT_EQ(parse_stream(c.stream, {cut}, {}), std::vector<Outcome>{expected}) << "cut " << cut;
    }
    EXPECT_EQ(parse_stream(c.stream, byte_by_byte(c.stream.size()), {}),
              std::vector<Outcome>{expected});
  }
}

// Whatever the limit, it trips at its own byte or not at all, however the input is split: also
// when it falls on a line end, in the middle of a CRLF, or on the last byte of the head.
TEST(ResponseParserLineTest, HeaderLimitTripsAtTheSameByteWhereverItFalls) {
  const std::string head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-" +
                           std::string(40, 'n') + ": " + std::string(30, 'v') +
                           "\nContent-Length: 2\r\n\r\n";
  const std::string stream = head + "ok";
  for (std::size_t limit = 1; limit <= head.size() + 1; ++limit) {
    Options options;
    options.max_header_bytes = limit;
    Outcome expected = ok(200, "ok").length(2);
    expected.consumed = stream.size();
    if (limit < head.size()) {
      expected = failure(ParseError::header_too_large);
      expected.consumed = limit;
    }
    const std::vector<Outcome> outcomes = {expected};
    ASSERT_EQ(parse_stream(stream, {}, options), outcomes) << "limit " << limit;
    ASSERT_EQ(parse_stream(stream, byte_by_byte(stream.size()), options), outcomes)
        << "limit " << limit;
    // Every split is costly over every limit; the limits next to a line end are what matter most.
    const bool near_line_end = head.find('\n', limit - 1) <= limit + 1;
    if (!near_line_end && limit % 16 != 0) continue;
    for (std::size_t cut = 1; cut < stream.size(); ++cut) {
      ASSERT_EQ(parse_stream(stream, {cut}, options), outcomes)
          << "limit " << limit << " cut " << cut;
    }
  }
}

TEST(ResponseParserLineTest, TrailerLimitTripsAtTheSameByteWhereverItFalls) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunks = "2\r\nok\r\n0\r\n";
  const std::string trailers =
      "X-Checksum: " + std::string(60, 'c') + "\r\nX-" + std::string(20, 'n') + ": 1\n\r\n";
  const std::string stream = head + chunks + trailers;
  // The trailer section has a limit of its own, counted from its first byte.
  for (std::size_t limit = head.size(); limit <= trailers.size() + 1; ++limit) {
    Options options;
    options.max_header_bytes = limit;
    Outcome expected = ok(200, "ok").is_chunked();
    expected.consumed = stream.size();
    if (limit < trailers.size()) {
      expected = failure(ParseError::header_too_large);
      expected.consumed = head.size() + chunks.size() + limit;
    }
    const std::vector<Outcome> outcomes = {expected};
    ASSERT_EQ(parse_stream(stream, {}, options), outcomes) << "limit " << limit;
    ASSERT_EQ(parse_stream(stream, byte_by_byte(stream.size()), options), outcomes)
        << "limit " << limit;
    for (std::size_t cut = 1; cut < stream.size(); ++cut) {
      ASSERT_EQ(parse_stream(stream, {cut}, options), outcomes)
          << "limit " << limit << " cut " << cut;
    }
  }
}

// Random heads whose lines are long, end at random offsets within a 16-byte step and hold the
// bytes each path treats specially; a few carry one bad byte. Parsed whole, every line is taken a
// line at a time where it can be; byte by byte, never: every outcome must agree.
std::string random_line_head(Random& random, bool& faulty) {
  static const char kCommonNameChars[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
  static const char kUncommonTchars[] = "!#$%&'*+.^_`|~";
  static const char kFaults[] = {'\0', '\x01', '\r', '\n', '\x7f', ' ', '"', ':', '\x80', '\xff'};
  static const char* const kInterpreted[] = {
      "Content-Length: 0", "content-length:0", "Content-Length: \t0 ", "CONTENT-LENGTH: 0, 0",
      "Connection: keep-alive", "connection:close", "Connection: Upgrade", "Connection:",
      "Transfer-Encoding: identity"};
  const auto eol = [&] { return random.one_in(4) ? "\n" : "\r\n"; };
  std::string head = random.one_in(5) ? "HTTP/1.0 200" : "HTTP/1.1 200";
  if (!random.one_in(5)) head += " " + random_field_value(random);
  head += eol();
  for (auto lines = 1 + random.below(12); lines > 0; --lines) {
    if (random.one_in(6)) {
      head += random.pick(kInterpreted);
      head += eol();
      continue;
    }
    std::string name;
    for (auto n = 1 + random.below(random.one_in(4) ? 60 : 20); n > 0; --n) {
      name += random.one_in(30) ? kUncommonTchars[random.below(sizeof kUncommonTchars - 1)]
                                : kCommonNameChars[random.below(sizeof kCommonNameChars - 1)];
    }
    std::string line = name + ":" + random_ows(random) + random_field_value(random) + eol();
    if (random.one_in(40)) {
      line[random.below(line.size())] = random.pick(kFaults);
      faulty = true;
    }
    head += line;
  }
  return head + eol();
}

TEST(ResponseParserLineTest, RandomLongLinesParseAlikeWholeAndSplit) {
  Random random(0x5eed'1e55'0000'0003ULL);
  int complete = 0, failed = 0;
  for (int i = 0; i < 2000; ++i) {
    bool faulty = false;
    const std::string stream = random_line_head(random, faulty) + "0\r\n\r\n";
    Options options;
    options.eof = true;
    if (random.one_in(3)) options.max_header_bytes = 1 + random.below(stream.size() + 8);
    SCOPED_TRACE("stream " + std::to_string(i) + ": " + printable(stream));
    const auto whole = parse_stream(stream, {}, options);
    ASSERT_FALSE(whole.empty());
    if (!faulty && options.max_header_bytes >= stream.size()) {
      EXPECT_EQ(whole.front().error, ParseError::none) << to_string(whole.front().error);
    }
    complete += whole.front().complete;
    failed += whole.front().error != ParseError::none;
    ASSERT_EQ(parse_stream(stream, byte_by_byte(stream.size()), options), whole);
    for (int split = 0; split < 3; ++split) {
      const auto cuts = random_cuts(random, stream.size());
      ASSERT_EQ(parse_stream(stream, cuts, options), whole) << cuts.size() << " cuts";
    }
  }
  EXPECT_GT(complete, 500);
  EXPECT_GT(failed, 100);
}

}  // namespace
}  // namespace inferload::http1
