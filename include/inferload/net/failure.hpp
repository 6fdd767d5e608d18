#pragma once
// Why a request got no usable response, in terms every protocol shares. On the hot path a
// failure is a value that becomes a metric, never an exception.
#include <cstddef>
#include <cstdint>

namespace inferload::net {

enum class Failure : std::uint8_t {
  none,
  dns,               // the host name did not resolve (not produced yet: endpoints resolve once, before the run)
  connect_refused,   // nothing listens (ECONNREFUSED)
  connect_timeout,   // the connection was not established before the request's deadline
  connect_error,     // any other error while connecting (unreachable network, ...)
  no_resources,      // this process or host ran out of sockets (EMFILE, ENFILE, ENOBUFS, ENOMEM)
  reset,             // the peer reset the connection (ECONNRESET)
  broken_pipe,       // writing to a connection the peer had closed (EPIPE)
  closed,            // the peer closed the connection before the response was complete
  io_error,          // any other socket error
  protocol,          // the peer's bytes broke the protocol
  timeout,           // no complete response before the request's deadline
  interrupted,       // cut off by a hard stop of the run
  // TLS (the tls module tells which): the connection could not be set up, or a record broke.
  tls_unknown_authority,  // the certificate chain ends at no trusted root
  tls_name_mismatch,      // the certificate is not for the server name asked for
  tls_certificate,        // any other certificate problem (expired, not yet valid, ...)
  tls_no_alpn,            // the server agreed on none of the protocols offered
  tls_handshake,          // an alert, or bytes that are not a TLS handshake
  tls_record,             // a record that does not decrypt or parse, after the handshake
};

const char* to_string(Failure f) noexcept;

constexpr bool is_tls(Failure f) noexcept { return f >= Failure::tls_unknown_authority; }
inline constexpr std::size_t kTlsFailures = 6;
constexpr std::size_t tls_index(Failure f) noexcept {
  return static_cast<std::size_t>(f) - static_cast<std::size_t>(Failure::tls_unknown_authority);
}

// k6's `error` text for a failure (the Go error texts k6 reports, e.g. "dial: connection refused"),
// short enough for a summary line; "" for none.
const char* k6_error_text(Failure f) noexcept;

// The k6 error_code a failure maps to (k6 1.1 lib/netext/httpext/error_codes.go), 0 for none.
int k6_error_code(Failure f) noexcept;

// Out of descriptors, socket buffers or memory: the failure is ours, not the peer's, and retrying
// at once cannot succeed.
bool is_resource_exhaustion(int error) noexcept;

// Classifies an errno value from a socket operation. `connecting`: the error came from connect.
Failure classify_errno(int error, bool connecting) noexcept;

}  // namespace inferload::net
