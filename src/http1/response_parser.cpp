#include "inferload/http1/response_parser.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <memory>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace inferload::http1 {
namespace {

// Byte classes as 256-entry tables, for the byte-wise states and for the few bytes at the end of
// a buffer that the 16-byte scans below cannot cover.
using ByteTable = std::array<bool, 256>;

constexpr bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// The tchars nearly every field name is made of. The line-at-a-time path accepts only names made
// of these, because they can be checked 16 at a time with a few SSE2 instructions; a name with any
// other tchar goes through the byte-wise states.
constexpr bool is_common_name_char(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

// field-vchar, SP and HTAB (RFC 9110 5.5), obs-text included; the reason phrase uses the same set.
constexpr bool is_value_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

template <typename Predicate>
constexpr ByteTable make_table(Predicate predicate) {
  ByteTable table{};
  for (unsigned c = 0; c < 256; ++c) table[c] = predicate(static_cast<unsigned char>(c));
  return table;
}

constexpr ByteTable kTchar = make_table(is_tchar);
constexpr ByteTable kCommonNameChar = make_table(is_common_name_char);
constexpr ByteTable kValueChar = make_table(is_value_char);

constexpr std::array<std::int8_t, 256> kHexValue = [] {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int c = '0'; c <= '9'; ++c) table[c] = static_cast<std::int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) table[c] = static_cast<std::int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) table[c] = static_cast<std::int8_t>(c - 'A' + 10);
  return table;
}();

inline unsigned char byte_at(const char* p) { return static_cast<unsigned char>(*p); }
inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
inline bool is_ows(unsigned char c) { return c == ' ' || c == '\t'; }
inline char to_lower(unsigned char c) {
  return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

// `lower` is a lowercase literal of exactly n bytes.
inline bool equals_ignoring_case(const char* s, const char* lower, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (to_lower(static_cast<unsigned char>(s[i])) != lower[i]) return false;
  }
  return true;
}

// n <= 8 bytes as one integer, zero-padded, as memcpy puts them in memory.
inline std::uint64_t load_word(const char* p, std::size_t n = 8) {
  std::uint64_t word = 0;
  std::memcpy(&word, p, n);
  return word;
}

// What load_word gives for the first (at most 8) bytes of a literal, computed at compile time,
// which compilers do not manage through memcpy for fewer than 8 bytes.
template <std::size_t N>
constexpr std::uint64_t word_of(const char (&literal)[N]) {
  std::uint64_t word = 0;
  for (std::size_t i = 0; i + 1 < N && i < 8; ++i) {
    const unsigned shift = std::endian::native == std::endian::little ? 8 * i : 56 - 8 * i;
    word |= std::uint64_t{static_cast<unsigned char>(literal[i])} << shift;
  }
  return word;
}

// Whether the N-1 bytes at s are `lower` (lowercase letters, digits and '-') ignoring the case of
// letters, a word at a time. Setting bit 0x20 of every byte lowercases letters; of the bytes that
// can occur in a field name or value, it turns into a given letter only that letter's two cases,
// and into '-' only '-' (the other byte it turns into '-', CR, ends a value).
template <std::size_t N>
inline bool equals_lowercase(const char* s, const char (&lower)[N]) {
  constexpr std::size_t n = N - 1;
  constexpr std::uint64_t kCaseBits = 0x2020202020202020ULL;
  if constexpr (n < 8) {
    return (load_word(s, n) | kCaseBits) == (word_of(lower) | kCaseBits);
  } else {
    for (std::size_t at = 0; at + 8 < n; at += 8) {
      if ((load_word(s + at) | kCaseBits) != load_word(lower + at)) return false;
    }
    return (load_word(s + n - 8) | kCaseBits) == load_word(lower + n - 8);  // may overlap
  }
}

// The first byte of [p, end) that is not a value char, or end.
inline const char* skip_value_chars(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i last_control = _mm_set1_epi8(0x1f);
  const __m128i del = _mm_set1_epi8(0x7f);
  while (end - p >= 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Controls (unsigned <= 0x1f) and DEL; HTAB is flagged with the controls and let through
    // below, since it is rare and a third compare per block would cost more than it saves.
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, last_control), bytes);
    const int stops = _mm_movemask_epi8(_mm_or_si128(control, _mm_cmpeq_epi8(bytes, del)));
    if (stops == 0) {
      p += 16;
      continue;
    }
    p += std::countr_zero(static_cast<unsigned>(stops));
    if (*p != '\t') return p;
    ++p;
  }
#endif
  while (p < end && kValueChar[byte_at(p)]) ++p;
  return p;
}

// The first byte of [p, end) that is not a common name char, or end.
inline const char* skip_common_name_chars(const char* p, const char* end) {
#if defined(__SSE2__)
  // Range checks without compares: after subtracting the range's first byte, a saturating add
  // sets the top bit of exactly the bytes past the range's end (and of those below its start,
  // which wrapped around).
  const auto outside = [](__m128i bytes, char first, char last) {
    return _mm_adds_epu8(_mm_sub_epi8(bytes, _mm_set1_epi8(first)),
                         _mm_set1_epi8(static_cast<char>(0x7f - (last - first))));
  };
  while (end - p >= 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i not_letter = outside(_mm_or_si128(bytes, _mm_set1_epi8(0x20)), 'a', 'z');
    const __m128i not_digit = outside(bytes, '0', '9');
    const __m128i dash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('-'));
    const __m128i stop_bytes = _mm_andnot_si128(dash, _mm_and_si128(not_letter, not_digit));
    const int stops = _mm_movemask_epi8(stop_bytes);
    if (stops != 0) return p + std::countr_zero(static_cast<unsigned>(stops));
    p += 16;
  }
#endif
  while (p < end && kCommonNameChar[byte_at(p)]) ++p;
  return p;
}

inline const char* skip_ows(const char* p, const char* end) {
  while (p < end && is_ows(byte_at(p))) ++p;
  return p;
}

inline const char* trim_ows_back(const char* begin, const char* end) {
  while (end > begin && is_ows(byte_at(end - 1))) --end;
  return end;
}

// The byte after the line end (CRLF, or a bare LF) at p <= end, or nullptr if there is none.
inline const char* after_line_end(const char* p, const char* end) {
  if (end - p >= 2 && std::memcmp(p, "\r\n", 2) == 0) return p + 2;
  if (p < end && *p == '\n') return p + 1;
  return nullptr;
}

}  // namespace

const char* to_string(ParseError error) noexcept {
  switch (error) {
    case ParseError::none: return "none";
    case ParseError::bad_status_line: return "bad status line";
    case ParseError::bad_version: return "bad version";
    case ParseError::bad_status_code: return "bad status code";
    case ParseError::bad_header: return "bad header";
    case ParseError::header_too_large: return "header too large";
    case ParseError::bad_content_length: return "bad content length";
    case ParseError::conflicting_content_length: return "conflicting content length";
    case ParseError::bad_chunk: return "bad chunk";
    case ParseError::unexpected_eof: return "unexpected eof";
  }
  return "unknown";
}

ResponseParser::ResponseParser(std::size_t max_header_bytes)
    : max_header_bytes_(max_header_bytes) {}

void ResponseParser::reset() noexcept {
  std::string* const sink = sink_;
  const std::size_t sink_limit = sink_limit_;
  const std::size_t max_header_bytes = max_header_bytes_;
  // Built in place rather than assigned from a temporary, which compilers copy through the stack.
  static_assert(std::is_trivially_destructible_v<ResponseParser>);
  std::construct_at(this, max_header_bytes);
  sink_ = sink;
  sink_limit_ = sink_limit;
}

bool ResponseParser::keep_alive() const noexcept {
  if (connection_close_ || until_close_ || (headers_done_ && status_ == 101)) return false;
  return version_minor_ == 1 || connection_keep_alive_;
}

std::size_t ResponseParser::feed(const char* data, std::size_t len) noexcept {
  if (len == 0 || state_ == State::done || state_ == State::failed) return 0;
  started_ = true;
  const char* p = data;
  const char* const end = data + len;
  while (p < end) {
    if (is_field_section(state_)) {
      // Parse only up to the byte that would exceed the limit, so that the limit trips at the
      // same byte however the input is split.
      const std::size_t budget = max_header_bytes_ - section_bytes_;
      const char* const window_end =
          static_cast<std::size_t>(end - p) > budget ? p + budget : end;
      const char* const next = parse_fields(p, window_end);
      section_bytes_ += static_cast<std::size_t>(next - p);
      p = next;
      if (is_field_section(state_) && p == window_end && window_end != end) {
        p = fail(ParseError::header_too_large, p);
      }
    } else if (is_body(state_)) {
      p = parse_body(p, end);
    } else {
      break;
    }
  }
  return static_cast<std::size_t>(p - data);
}

void ResponseParser::feed_eof() noexcept {
  if (state_ == State::done || state_ == State::failed) return;
  if (state_ == State::body_until_close) {
    state_ = State::done;
    return;
  }
  fail(ParseError::unexpected_eof, nullptr);
}

const char* ResponseParser::fail(ParseError error, const char* p) noexcept {
  state_ = State::failed;
  error_ = error;
  return p;
}

// Forgets what an interim (1xx) response said: its fields never apply to the final response.
void ResponseParser::start_head() noexcept {
  status_ = 0;
  status_digits_ = 0;
  version_match_ = 0;
  content_length_ = 0;
  content_length_given_ = false;
  transfer_encoding_given_ = false;
  last_coding_chunked_ = false;
  connection_close_ = false;
  connection_keep_alive_ = false;
  state_ = State::status_start;
}

// A status line of the usual form ("HTTP/1.1 200 OK", one space after the version), whole in
// [p, end), parsed in one go. Returns the byte after it, or nullptr to leave the line to the
// byte-wise states: a line split across feeds, an unusual one, and every faulty one, so that an
// error is reported at the same byte however the input is split.
const char* ResponseParser::parse_whole_status_line(const char* p, const char* end) noexcept {
  constexpr std::ptrdiff_t kShortestLine = 13;  // "HTTP/1.1 200\n"
  if (end - p < kShortestLine) return nullptr;
  const std::uint64_t version = load_word(p);
  std::uint8_t minor = 1;
  if (version == load_word("HTTP/1.0")) {
    minor = 0;
  } else if (version != load_word("HTTP/1.1")) {
    return nullptr;
  }
  const unsigned char d0 = byte_at(p + 9);
  const unsigned char d1 = byte_at(p + 10);
  const unsigned char d2 = byte_at(p + 11);
  if (p[8] != ' ' || d0 < '1' || d0 > '9' || !is_digit(d1) || !is_digit(d2)) return nullptr;
  const char* reason_end = p + 12;
  if (*reason_end == ' ') reason_end = skip_value_chars(reason_end + 1, end);
  const char* const line_end = after_line_end(reason_end, end);
  if (line_end == nullptr) return nullptr;
  version_minor_ = minor;
  status_ = static_cast<std::uint16_t>((d0 - '0') * 100 + (d1 - '0') * 10 + (d2 - '0'));
  state_ = State::field_line_start;
  return line_end;
}

// Field lines whole in [p, end), as many as there are, each parsed in one go. Returns where the
// byte-wise states must take over (at the start of a line that is split across feeds or unusual,
// as parse_whole_status_line leaves one), or the byte after the empty line that ends the section.
const char* ResponseParser::parse_whole_field_lines(const char* p, const char* end) noexcept {
  // One bit per name length that an interpreted field has, so that most fields cost one test.
  constexpr std::uint32_t kInterpretedNameLengths = 1U << (sizeof "connection" - 1) |
                                                    1U << (sizeof "content-length" - 1) |
                                                    1U << (sizeof "transfer-encoding" - 1);
  const std::uint32_t interpreted_name_lengths = in_trailers_ ? 0 : kInterpretedNameLengths;
  while (p < end) {
    const char* const name_end = skip_common_name_chars(p, end);
    if (name_end == end || *name_end != ':' || name_end == p) {
      if (name_end != p) return p;
      const char* const line_end = after_line_end(p, end);
      if (line_end == nullptr) return p;
      end_field_section();
      return line_end;
    }
    const char* const value = name_end + 1;
    const char* const value_end = skip_value_chars(value, end);
    const char* const line_end = after_line_end(value_end, end);
    if (line_end == nullptr) return p;
    const auto name_length = static_cast<std::size_t>(name_end - p);
    if (name_length < 32 && ((interpreted_name_lengths >> name_length) & 1U) != 0 &&
        !interpret_whole_field(p, name_length, value, value_end)) {
      return p;
    }
    p = line_end;
  }
  return p;
}

// Applies a field whose line is known to be well formed, if its value has the one simple form
// each interpreted field nearly always has. Returns false, having changed nothing, to leave the
// field to the byte-wise states: lists, parameters, odd tokens, and every faulty value.
bool ResponseParser::interpret_whole_field(const char* name, std::size_t name_length,
                                           const char* value, const char* value_end) noexcept {
  switch (name_length) {
    case sizeof "content-length" - 1: {
      if (!equals_lowercase(name, "content-length")) return true;
      const char* const digits = skip_ows(value, value_end);
      const char* d = digits;
      std::uint64_t length = 0;
      for (; d < value_end && is_digit(byte_at(d)); ++d) length = length * 10 + (byte_at(d) - '0');
      // 19 digits cannot overflow, nor reach UINT64_MAX; longer numbers take the checked path.
      constexpr std::ptrdiff_t kSafeDigits = 19;
      if (d == digits || d - digits > kSafeDigits || skip_ows(d, value_end) != value_end) {
        return false;
      }
      if (content_length_given_ && content_length_ != length) return false;
      content_length_ = length;
      content_length_given_ = true;
      return true;
    }
    case sizeof "transfer-encoding" - 1: {
      if (!equals_lowercase(name, "transfer-encoding")) return true;
      const char* const token = skip_ows(value, value_end);
      const char* const token_end = trim_ows_back(token, value_end);
      if (token_end - token != 7 || !equals_lowercase(token, "chunked")) return false;
      transfer_encoding_given_ = true;
      last_coding_chunked_ = true;
      return true;
    }
    case sizeof "connection" - 1: {
      if (!equals_lowercase(name, "connection")) return true;
      const char* const token = skip_ows(value, value_end);
      const char* const token_end = trim_ows_back(token, value_end);
      if (token_end - token == 5 && equals_lowercase(token, "close")) {
        connection_close_ = true;
      } else if (token_end - token == 10 && equals_lowercase(token, "keep-alive")) {
        connection_keep_alive_ = true;
      } else {
        return false;
      }
      return true;
    }
    default:
      return true;
  }
}

// Returns at `end`, on failure, or as soon as the state leaves the field section (the caller
// then switches to the body, or stops because the response is complete).
const char* ResponseParser::parse_fields(const char* p, const char* end) noexcept {
  while (p < end) {
    // At the start of a line, the line-at-a-time path goes first; the byte-wise states take over
    // only a line it leaves to them, and hand back at the start of the next.
    if (state_ == State::status_start) {
      if (const char* const line_end = parse_whole_status_line(p, end)) {
        p = line_end;
        continue;
      }
    } else if (state_ == State::field_line_start) {
      p = parse_whole_field_lines(p, end);
      if (!is_field_section(state_)) return p;
      if (p == end || state_ != State::field_line_start) continue;
    } else if (!is_field_section(state_)) {
      return p;
    }
    unsigned char c = byte_at(p);
    switch (state_) {
      case State::status_start:
        ++p;
        if (c == '\r') {
          state_ = State::status_start_lf;
        } else if (c == 'H') {
          version_match_ = 1;
          state_ = State::status_version;
        } else if (c != '\n') {
          return fail(ParseError::bad_status_line, p - 1);
        }
        break;

      case State::status_start_lf:
        if (c != '\n') return fail(ParseError::bad_status_line, p);
        ++p;
        state_ = State::status_start;
        break;

      case State::status_version: {
        static constexpr char kVersionPrefix[] = "HTTP/1.";
        constexpr std::uint8_t kPrefixLength = sizeof(kVersionPrefix) - 1;
        constexpr std::uint8_t kProtocolLength = 5;  // "HTTP/": up to here it is not HTTP at all
        if (version_match_ < kPrefixLength) {
          if (c != static_cast<unsigned char>(kVersionPrefix[version_match_])) {
            return fail(version_match_ < kProtocolLength ? ParseError::bad_status_line
                                                         : ParseError::bad_version,
                        p);
          }
          ++version_match_;
        } else {
          if (c != '0' && c != '1') return fail(ParseError::bad_version, p);
          version_minor_ = static_cast<std::uint8_t>(c - '0');
          state_ = State::status_version_end;
        }
        ++p;
        break;
      }

      case State::status_version_end:
        if (c != ' ') return fail(ParseError::bad_version, p);
        ++p;
        state_ = State::status_code_start;
        break;

      case State::status_code_start:
        if (c != ' ') {  // several spaces are tolerated, as picohttpparser does
          if (c < '1' || c > '9') return fail(ParseError::bad_status_code, p);
          status_ = static_cast<std::uint16_t>(c - '0');
          status_digits_ = 1;
          state_ = State::status_code;
        }
        ++p;
        break;

      case State::status_code:
        if (is_digit(c)) {
          if (++status_digits_ > 3) return fail(ParseError::bad_status_code, p);
          status_ = static_cast<std::uint16_t>(status_ * 10 + (c - '0'));
          ++p;
          break;
        }
        if (status_digits_ != 3) return fail(ParseError::bad_status_code, p);
        if (c == ' ') {
          state_ = State::status_reason;
        } else if (c == '\r') {
          state_ = State::status_line_lf;
        } else if (c == '\n') {
          state_ = State::field_line_start;
        } else {
          return fail(ParseError::bad_status_code, p);
        }
        ++p;
        break;

      case State::status_reason:
        p = skip_value_chars(p, end);
        if (p == end) return p;
        c = byte_at(p);
        if (c == '\r') {
          state_ = State::status_line_lf;
        } else if (c == '\n') {
          state_ = State::field_line_start;
        } else {
          return fail(ParseError::bad_status_line, p);
        }
        ++p;
        break;

      case State::status_line_lf:
        if (c != '\n') return fail(ParseError::bad_status_line, p);
        ++p;
        state_ = State::field_line_start;
        break;

      case State::field_line_start:
        if (c == '\r') {
          ++p;
          state_ = State::fields_end_lf;
        } else if (c == '\n') {
          ++p;
          end_field_section();
        } else if (kTchar[c]) {
          name_length_ = 0;
          state_ = State::field_name;  // the name loop consumes this byte
        } else {
          // Includes SP and HTAB: obsolete line folding, which RFC 9112 lets us reject.
          return fail(ParseError::bad_header, p);
        }
        break;

      case State::field_name: {
        const char* const start = p;
        p = skip_common_name_chars(p, end);
        while (p < end && kTchar[byte_at(p)]) ++p;
        const auto n = static_cast<std::size_t>(p - start);
        if (name_length_ < kNameCapacity) {
          std::memcpy(name_ + name_length_, start, std::min(n, kNameCapacity - name_length_));
        }
        name_length_ += n;
        if (p == end) return p;
        // Also whitespace before the colon (RFC 9112 5.1 says reject) and a line without colon.
        if (*p != ':') return fail(ParseError::bad_header, p);
        ++p;
        begin_field_value();
        state_ = State::field_value;
        break;
      }

      case State::field_value: {
        if (field_kind_ == FieldKind::other) {
          p = skip_value_chars(p, end);
        } else {
          for (; p < end && kValueChar[byte_at(p)]; ++p) {
            const ParseError error = field_value_byte(byte_at(p));
            if (error != ParseError::none) return fail(error, p);
          }
        }
        if (p == end) return p;
        c = byte_at(p);
        if (c != '\r' && c != '\n') return fail(ParseError::bad_header, p);
        const ParseError error = end_field_value();
        if (error != ParseError::none) return fail(error, p);
        ++p;
        state_ = c == '\r' ? State::field_line_lf : State::field_line_start;
        break;
      }

      case State::field_line_lf:
        if (c != '\n') return fail(ParseError::bad_header, p);
        ++p;
        state_ = State::field_line_start;
        break;

      case State::fields_end_lf:
        if (c != '\n') return fail(ParseError::bad_header, p);
        ++p;
        end_field_section();
        break;

      default:
        return p;
    }
  }
  return p;
}

void ResponseParser::begin_field_value() noexcept {
  field_kind_ = FieldKind::other;
  element_ = ElementState::before;
  token_length_ = 0;
  content_length_element_ = 0;
  if (in_trailers_) return;  // trailer fields must not change the framing (RFC 9110 6.5.1)
  if (name_length_ == 14 && equals_ignoring_case(name_, "content-length", 14)) {
    field_kind_ = FieldKind::content_length;
  } else if (name_length_ == 17 && equals_ignoring_case(name_, "transfer-encoding", 17)) {
    field_kind_ = FieldKind::transfer_encoding;
    transfer_encoding_given_ = true;
  } else if (name_length_ == 10 && equals_ignoring_case(name_, "connection", 10)) {
    field_kind_ = FieldKind::connection;
  }
}

ParseError ResponseParser::field_value_byte(unsigned char c) noexcept {
  if (field_kind_ == FieldKind::content_length) return content_length_byte(c);
  token_list_byte(c);
  return ParseError::none;
}

ParseError ResponseParser::end_field_value() noexcept {
  switch (field_kind_) {
    case FieldKind::content_length:
      // An empty value, or a list ending in a comma, has an element without digits.
      if (element_ == ElementState::before) return ParseError::bad_content_length;
      return commit_content_length();
    case FieldKind::transfer_encoding:
    case FieldKind::connection:
      if (element_ != ElementState::before) end_token();
      return ParseError::none;
    case FieldKind::other:
      return ParseError::none;
  }
  return ParseError::none;
}

// Content-Length = 1*DIGIT, possibly repeated as a list "42, 42" by a sloppy intermediary
// (RFC 9110 8.6), with optional whitespace around each element.
ParseError ResponseParser::content_length_byte(unsigned char c) noexcept {
  switch (element_) {
    case ElementState::before:
      if (is_ows(c)) return ParseError::none;
      if (!is_digit(c)) return ParseError::bad_content_length;
      content_length_element_ = c - '0';
      element_ = ElementState::inside;
      return ParseError::none;
    case ElementState::inside:
      if (is_digit(c)) {
        const unsigned digit = c - '0';
        // UINT64_MAX itself stays out of reach: content_length() uses it for "none given".
        if (content_length_element_ > (UINT64_MAX - 1 - digit) / 10) {
          return ParseError::bad_content_length;
        }
        content_length_element_ = content_length_element_ * 10 + digit;
        return ParseError::none;
      }
      if (is_ows(c)) {
        element_ = ElementState::after;
        return ParseError::none;
      }
      break;
    case ElementState::after:
      if (is_ows(c)) return ParseError::none;
      break;
    case ElementState::params:
      break;
  }
  if (c != ',') return ParseError::bad_content_length;
  element_ = ElementState::before;
  return commit_content_length();
}

ParseError ResponseParser::commit_content_length() noexcept {
  if (content_length_given_ && content_length_ != content_length_element_) {
    return ParseError::conflicting_content_length;
  }
  content_length_ = content_length_element_;
  content_length_given_ = true;
  return ParseError::none;
}

// Connection and Transfer-Encoding are comma-separated token lists; only the first
// kTokenCapacity bytes of each token are kept, enough for every token we look for.
void ResponseParser::token_list_byte(unsigned char c) noexcept {
  switch (element_) {
    case ElementState::before:
      if (is_ows(c) || c == ',') return;  // empty list elements are allowed and ignored
      if (c == ';') {
        element_ = ElementState::params;
        return;
      }
      element_ = ElementState::inside;
      token_length_ = 0;
      break;
    case ElementState::inside:
      if (is_ows(c)) {
        element_ = ElementState::after;
        return;
      }
      break;
    case ElementState::after:
      if (is_ows(c)) return;
      if (c != ',' && c != ';') {
        token_length_ = kTokenCapacity + 1;  // "keep alive" is not "keep-alive"
        element_ = ElementState::inside;
        return;
      }
      break;
    case ElementState::params:
      // Parameters (e.g. "gzip;q=1") do not change which coding or option the element names.
      if (c == ',') {
        end_token();
        element_ = ElementState::before;
      }
      return;
  }
  if (c == ',') {
    end_token();
    element_ = ElementState::before;
  } else if (c == ';') {
    element_ = ElementState::params;
  } else if (token_length_ < kTokenCapacity) {
    token_[token_length_++] = to_lower(c);
  } else {
    token_length_ = kTokenCapacity + 1;
  }
}

void ResponseParser::end_token() noexcept {
  const auto is = [this](const char* lower, std::size_t n) {
    return token_length_ == n && std::memcmp(token_, lower, n) == 0;
  };
  if (field_kind_ == FieldKind::transfer_encoding) {
    // Only the last coding decides the framing (RFC 9112 6.3), so every element overwrites it.
    last_coding_chunked_ = is("chunked", 7);
  } else if (is("close", 5)) {
    connection_close_ = true;
  } else if (is("keep-alive", 10)) {
    connection_keep_alive_ = true;
  }
  token_length_ = 0;
}

void ResponseParser::end_field_section() noexcept {
  if (in_trailers_) {
    state_ = State::done;
    return;
  }
  // Interim responses (100 Continue, 103 Early Hints) are skipped whole; 101 is final because we
  // never ask to upgrade, and what follows it is not HTTP/1.1 anyway.
  if (status_ < 200 && status_ != 101) {
    start_head();
    return;
  }
  headers_done_ = true;
  // RFC 9112 6.3, in its order of precedence.
  if (head_request_ || status_ == 101 || status_ == 204 || status_ == 304) {
    state_ = State::done;
  } else if (transfer_encoding_given_) {
    if (last_coding_chunked_) {
      chunked_ = true;
      state_ = State::chunk_size_start;
    } else {
      until_close_ = true;
      state_ = State::body_until_close;
    }
  } else if (content_length_given_) {
    remaining_ = content_length_;
    state_ = remaining_ == 0 ? State::done : State::body_length;
  } else {
    until_close_ = true;
    state_ = State::body_until_close;
  }
}

// A chunk size line without extensions, whole in [p, end), parsed in one go; returns as
// parse_whole_status_line does.
const char* ResponseParser::parse_whole_chunk_size_line(const char* p, const char* end) noexcept {
  // 15 hex digits cannot overflow; longer sizes (leading zeros, say) take the checked path, as do
  // lines over the limit.
  constexpr std::size_t kSafeDigits = 15;
  const std::size_t available = static_cast<std::size_t>(end - p);
  const char* const digits_end = p + std::min({available, kSafeDigits, max_header_bytes_});
  const char* d = p;
  std::uint64_t size = 0;
  for (; d < digits_end && kHexValue[byte_at(d)] >= 0; ++d) {
    size = size << 4 | static_cast<std::uint64_t>(kHexValue[byte_at(d)]);
  }
  if (d == p) return nullptr;
  const char* const line_end = after_line_end(d, end);
  if (line_end == nullptr) return nullptr;
  remaining_ = size;
  end_chunk_size_line();
  return line_end;
}

void ResponseParser::end_chunk_size_line() noexcept {
  if (remaining_ != 0) {
    state_ = State::chunk_data;
    return;
  }
  // The last chunk: a trailer section follows, which is parsed like the header section.
  in_trailers_ = true;
  section_bytes_ = 0;
  state_ = State::field_line_start;
}

void ResponseParser::append_body(const char* p, std::size_t n) {
  body_bytes_ += n;
  if (sink_ == nullptr) return;
  const std::size_t room = sink_limit_ - sink_written_;
  const std::size_t take = std::min(n, room);
  sink_->append(p, take);
  sink_written_ += take;
  if (take < n) body_truncated_ = true;
}

// Returns at `end`, on failure, or as soon as the state leaves the body (complete response, or
// the trailer section after the last chunk).
const char* ResponseParser::parse_body(const char* p, const char* end) noexcept {
  while (p < end) {
    unsigned char c = byte_at(p);
    switch (state_) {
      case State::body_length:
      case State::chunk_data: {
        const auto available = static_cast<std::uint64_t>(end - p);
        const auto n = static_cast<std::size_t>(std::min(remaining_, available));
        append_body(p, n);
        p += n;
        remaining_ -= n;
        if (remaining_ == 0) {
          state_ = state_ == State::body_length ? State::done : State::chunk_data_cr;
        }
        break;
      }

      case State::body_until_close:
        append_body(p, static_cast<std::size_t>(end - p));
        return end;

      case State::chunk_size_start:
        if (const char* const data = parse_whole_chunk_size_line(p, end)) {
          p = data;
          break;
        }
        if (kHexValue[c] < 0) return fail(ParseError::bad_chunk, p);
        remaining_ = static_cast<std::uint64_t>(kHexValue[c]);
        chunk_line_bytes_ = 1;
        ++p;
        state_ = State::chunk_size;
        break;

      case State::chunk_size:
        // Leading zeros are legal, so the line length, not the digit count, is what is bounded.
        for (; p < end && kHexValue[byte_at(p)] >= 0; ++p) {
          if ((remaining_ >> 60) != 0 || ++chunk_line_bytes_ > max_header_bytes_) {
            return fail(ParseError::bad_chunk, p);
          }
          remaining_ = (remaining_ << 4) | static_cast<std::uint64_t>(kHexValue[byte_at(p)]);
        }
        if (p == end) return p;
        c = byte_at(p);
        if (c == ';' || is_ows(c)) {
          state_ = State::chunk_ext;  // BWS before ';' is allowed (RFC 9112 7.1.1)
        } else if (c == '\r') {
          state_ = State::chunk_size_lf;
        } else if (c == '\n') {
          end_chunk_size_line();
        } else {
          return fail(ParseError::bad_chunk, p);
        }
        ++p;
        break;

      case State::chunk_ext:
        // Extensions carry nothing we use; like picohttpparser we skip them, but keep them bounded
        // and free of control characters.
        for (; p < end && kValueChar[byte_at(p)]; ++p) {
          if (++chunk_line_bytes_ > max_header_bytes_) return fail(ParseError::bad_chunk, p);
        }
        if (p == end) return p;
        c = byte_at(p);
        if (c == '\r') {
          state_ = State::chunk_size_lf;
        } else if (c == '\n') {
          end_chunk_size_line();
        } else {
          return fail(ParseError::bad_chunk, p);
        }
        ++p;
        break;

      case State::chunk_size_lf:
        if (c != '\n') return fail(ParseError::bad_chunk, p);
        ++p;
        end_chunk_size_line();
        break;

      case State::chunk_data_cr:
        if (const char* const next = after_line_end(p, end)) {
          p = next;
          state_ = State::chunk_size_start;
          break;
        }
        if (c == '\r') {
          state_ = State::chunk_data_lf;
        } else if (c == '\n') {
          state_ = State::chunk_size_start;
        } else {
          return fail(ParseError::bad_chunk, p);
        }
        ++p;
        break;

      case State::chunk_data_lf:
        if (c != '\n') return fail(ParseError::bad_chunk, p);
        ++p;
        state_ = State::chunk_size_start;
        break;

      default:
        return p;
    }
  }
  return p;
}

}  // namespace inferload::http1
