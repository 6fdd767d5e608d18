#pragma once
// gRPC status codes and the three header values a client reads or writes around a call
// (gRPC over HTTP/2, doc/PROTOCOL-HTTP2.md): grpc-status, grpc-message and grpc-timeout.
// No I/O and no exceptions: a malformed value is reported, never thrown, since it arrives on the
// hot path and becomes a failed request.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace inferload::grpc {

// The numbers are the wire values (doc/statuscodes.md). k6 tags a gRPC response with the number
// itself, so the number is what metrics use; the names below are for logs and messages.
enum class StatusCode : std::uint8_t {
  ok = 0,
  cancelled = 1,
  unknown = 2,
  invalid_argument = 3,
  deadline_exceeded = 4,
  not_found = 5,
  already_exists = 6,
  permission_denied = 7,
  resource_exhausted = 8,
  failed_precondition = 9,
  aborted = 10,
  out_of_range = 11,
  unimplemented = 12,
  internal = 13,
  unavailable = 14,
  data_loss = 15,
  unauthenticated = 16,
};

inline constexpr std::uint8_t kMaxStatusCode = 16;

// The canonical upper-case spelling of doc/statuscodes.md ("DEADLINE_EXCEEDED"), the one every
// gRPC implementation prints; k6 shows no name at all, only the number.
const char* to_string(StatusCode code) noexcept;

struct ParsedStatus {
  StatusCode code = StatusCode::unknown;
  // False when the value is not a decimal 0..16: the call then failed as a protocol error and
  // counts as UNKNOWN.
  bool well_formed = false;
};

// grpc-status: 1*DIGIT with a value of 0..16; no sign, no spaces.
ParsedStatus parse_status(std::string_view value) noexcept;

// grpc-message is percent-encoded UTF-8. A broken %-sequence is kept as it is instead of failing,
// as the spec requires ("MUST NOT error or throw away the message"). Appends to `out`.
void decode_message(std::string_view value, std::string& out);
std::string decode_message(std::string_view value);

// grpc-timeout: at most 8 digits and a unit, H M S m u n.
inline constexpr std::size_t kMaxTimeoutSize = 9;

// Writes the finest unit whose value fits in 8 digits, rounded up so that the server never sees
// a shorter deadline than the client's. A timeout of 0 or less is "0n" (already expired).
// Returns the number of chars written to `out` (at most kMaxTimeoutSize).
std::size_t format_timeout(std::int64_t timeout_ns, char* out) noexcept;
std::string format_timeout(std::int64_t timeout_ns);

// Nanoseconds, saturated at INT64_MAX (99999999H does not fit); nullopt when malformed.
std::optional<std::int64_t> parse_timeout(std::string_view value) noexcept;

}  // namespace inferload::grpc
