#pragma once
// Incremental HTTP/1.1 response parser (RFC 9112) for the client side of a connection.
//
// feed() may be called with any slice of the stream, split at any byte, and the parser keeps
// everything it needs between calls, so the caller can recycle its receive buffer right after each
// feed(). A line that is whole in the slice (status line, field line, chunk size line) is parsed in
// one go, 16 bytes at a time where SSE2 allows; a line split across slices, or of an unusual form,
// goes through a byte-level state machine, which is also what finds every error, so the results
// and the byte an error is reported at do not depend on the split. It never allocates; the
// optional body sink is the only thing that grows. Header values are not stored: the three fields
// that decide the framing and the connection's fate (Content-Length, Transfer-Encoding,
// Connection) are interpreted on the fly, every other field is only validated.
//
// One parser instance follows one connection: after a response is complete (or failed), call
// reset() before feeding the bytes of the next response. feed() stops right after the last byte
// of a response, so bytes of a pipelined next response are never swallowed.
#include <cstddef>
#include <cstdint>
#include <string>

namespace inferload::http1 {

enum class ParseError : std::uint8_t {
  none,
  bad_status_line,             // not "HTTP/..." at the start, or a control character in the line
  bad_version,                 // not HTTP/1.0 or HTTP/1.1
  bad_status_code,             // not exactly three digits (first one non-zero)
  bad_header,                  // malformed field line (also in the trailer section)
  header_too_large,            // field section (or trailer section) over max_header_bytes
  bad_content_length,          // not a decimal number, or too large for 64 bits
  conflicting_content_length,  // several Content-Length values that differ
  bad_chunk,                   // malformed chunk size line, or no CRLF after chunk data
  unexpected_eof,              // the connection closed before the response was complete
};

// Short lowercase text for logs and error tags, e.g. "bad chunk".
const char* to_string(ParseError error) noexcept;

class ResponseParser {
 public:
  // max_header_bytes bounds the head (status lines and fields of the final and any interim
  // responses, counted together) and, separately, the trailer section and each chunk size line.
  explicit ResponseParser(std::size_t max_header_bytes = 64 * 1024);

  // Ready for the next response on the connection. Keeps the body sink and its limit (they
  // belong to the connection), but clears the HEAD flag, which belongs to one request.
  void reset() noexcept;
  // The response answers a HEAD request, so it has no body whatever its headers say.
  void set_head_request(bool head) noexcept { head_request_ = head; }

  // Consumes bytes of one response and returns how many it consumed. Stops right after the end
  // of a complete response; the caller feeds the rest to the next response after reset(). While
  // the response is incomplete, everything given is consumed. After complete() or failed(),
  // consumes nothing. On failure, the count is the offset of the byte found to be at fault.
  std::size_t feed(const char* data, std::size_t len) noexcept;
  // The peer closed the connection: completes a body delimited by connection close; anything else
  // unfinished (even a response of which nothing was received) fails with unexpected_eof.
  void feed_eof() noexcept;

  bool complete() const noexcept { return state_ == State::done; }
  bool failed() const noexcept { return state_ == State::failed; }
  ParseError error() const noexcept { return error_; }
  bool started() const noexcept { return started_; }
  // The final (non-1xx, or 101) status line and its fields have been parsed.
  bool headers_done() const noexcept { return headers_done_; }
  // Final status code once headers_done(), else 0.
  int status() const noexcept { return headers_done_ ? status_ : 0; }
  // Minor version of the last status line seen: 0 or 1.
  int version_minor() const noexcept { return version_minor_; }
  // Whether the connection may carry another response after this one. False for
  // "Connection: close", for HTTP/1.0 without "Connection: keep-alive", for a body delimited by
  // connection close, and for 101 (the server switched protocols we never asked for).
  bool keep_alive() const noexcept;
  // Decoded body bytes so far (chunk framing excluded).
  std::uint64_t body_bytes() const noexcept { return body_bytes_; }
  // The Content-Length value if the final response has one (even when Transfer-Encoding
  // overrides it, or the response has no body), else UINT64_MAX.
  std::uint64_t content_length() const noexcept {
    return content_length_given_ ? content_length_ : UINT64_MAX;
  }
  // The body is framed by chunked transfer coding (false when the response has no body).
  bool chunked() const noexcept { return chunked_; }

  // Appends decoded body bytes to *sink (if not null) as they arrive, up to `limit` bytes per
  // response; the rest is counted in body_bytes() but dropped, and body_truncated() turns true.
  // The sink is never cleared by the parser. Appending may allocate (std::bad_alloc terminates).
  void set_body_sink(std::string* sink, std::size_t limit) noexcept {
    sink_ = sink;
    sink_limit_ = limit;
  }
  bool body_truncated() const noexcept { return body_truncated_; }

 private:
  enum class State : std::uint8_t {
    // head: status line (of interim and final responses) ...
    status_start,  // tolerates empty lines before a status line
    status_start_lf,
    status_version,
    status_version_end,
    status_code_start,
    status_code,
    status_reason,
    status_line_lf,
    // ... and field lines, shared by the header and trailer sections
    field_line_start,
    field_name,
    field_value,
    field_line_lf,
    fields_end_lf,
    // body
    body_length,
    body_until_close,
    chunk_size_start,
    chunk_size,
    chunk_ext,
    chunk_size_lf,
    chunk_data,
    chunk_data_cr,
    chunk_data_lf,
    // terminal
    done,
    failed,
  };
  // The fields whose value is interpreted; all others are validated and skipped.
  enum class FieldKind : std::uint8_t { other, content_length, transfer_encoding, connection };
  // Position inside one element of a comma-separated field value.
  enum class ElementState : std::uint8_t { before, inside, after, params };

  static constexpr std::size_t kNameCapacity = 17;  // strlen("transfer-encoding")
  static constexpr std::uint8_t kTokenCapacity = 10;  // strlen("keep-alive")

  static bool is_field_section(State s) noexcept { return s <= State::fields_end_lf; }
  static bool is_body(State s) noexcept {
    return s >= State::body_length && s <= State::chunk_data_lf;
  }

  const char* parse_fields(const char* p, const char* end) noexcept;
  const char* parse_whole_status_line(const char* p, const char* end) noexcept;
  const char* parse_whole_field_lines(const char* p, const char* end) noexcept;
  bool interpret_whole_field(const char* name, std::size_t name_length, const char* value,
                             const char* value_end) noexcept;
  const char* parse_body(const char* p, const char* end) noexcept;
  const char* fail(ParseError error, const char* p) noexcept;
  void start_head() noexcept;
  void begin_field_value() noexcept;
  ParseError field_value_byte(unsigned char c) noexcept;
  ParseError end_field_value() noexcept;
  ParseError content_length_byte(unsigned char c) noexcept;
  ParseError commit_content_length() noexcept;
  void token_list_byte(unsigned char c) noexcept;
  void end_token() noexcept;
  void end_field_section() noexcept;
  const char* parse_whole_chunk_size_line(const char* p, const char* end) noexcept;
  void end_chunk_size_line() noexcept;
  void append_body(const char* p, std::size_t n);

  std::string* sink_ = nullptr;
  std::size_t sink_limit_ = 0;
  std::size_t sink_written_ = 0;
  std::size_t max_header_bytes_;
  std::size_t section_bytes_ = 0;     // head or trailer bytes consumed, against max_header_bytes_
  std::size_t chunk_line_bytes_ = 0;  // chunk size line bytes, against max_header_bytes_
  std::size_t name_length_ = 0;       // full length; only the first kNameCapacity bytes are kept
  std::uint64_t body_bytes_ = 0;
  std::uint64_t remaining_ = 0;  // body or chunk bytes still to come; also the chunk size read
  std::uint64_t content_length_ = 0;
  std::uint64_t content_length_element_ = 0;
  State state_ = State::status_start;
  ParseError error_ = ParseError::none;
  FieldKind field_kind_ = FieldKind::other;
  ElementState element_ = ElementState::before;
  std::uint16_t status_ = 0;
  std::uint8_t status_digits_ = 0;
  std::uint8_t version_match_ = 0;  // bytes of "HTTP/1." matched
  std::uint8_t version_minor_ = 1;
  std::uint8_t token_length_ = 0;  // kTokenCapacity + 1: longer than any token we look for
  char name_[kNameCapacity] = {};
  char token_[kTokenCapacity] = {};
  bool head_request_ = false;
  bool started_ = false;
  bool headers_done_ = false;
  bool in_trailers_ = false;
  bool content_length_given_ = false;
  bool transfer_encoding_given_ = false;
  bool last_coding_chunked_ = false;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  bool chunked_ = false;
  bool until_close_ = false;
  bool body_truncated_ = false;
};

}  // namespace inferload::http1
