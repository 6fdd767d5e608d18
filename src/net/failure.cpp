#include "inferload/net/failure.hpp"

#include <cerrno>

namespace inferload::net {

const char* to_string(Failure f) noexcept {
  switch (f) {
    case Failure::none: return "none";
    case Failure::dns: return "DNS error";
    case Failure::connect_refused: return "connection refused";
    case Failure::connect_timeout: return "connect timeout";
    case Failure::connect_error: return "connect error";
    case Failure::no_resources: return "out of sockets (open-file limit)";
    case Failure::reset: return "connection reset by peer";
    case Failure::broken_pipe: return "broken pipe";
    case Failure::closed: return "connection closed before the response was complete";
    case Failure::io_error: return "socket error";
    case Failure::protocol: return "protocol error";
    case Failure::timeout: return "request timeout";
    case Failure::interrupted: return "interrupted";
    case Failure::tls_unknown_authority: return "TLS: certificate not trusted";
    case Failure::tls_name_mismatch: return "TLS: certificate name mismatch";
    case Failure::tls_certificate: return "TLS: bad certificate";
    case Failure::tls_no_alpn: return "TLS: no ALPN agreement";
    case Failure::tls_handshake: return "TLS: handshake failed";
    case Failure::tls_record: return "TLS: bad record";
  }
  return "unknown";
}

const char* k6_error_text(Failure f) noexcept {
  switch (f) {
    case Failure::none: return "";
    case Failure::dns: return "lookup: DNS error";
    case Failure::connect_refused: return "dial: connection refused";
    case Failure::connect_timeout: return "dial: i/o timeout";
    case Failure::connect_error: return "dial: connect error";
    // EMFILE at socket() is by far the usual cause; k6 reports it as a dial error too.
    case Failure::no_resources: return "dial: too many open files";
    case Failure::reset: return "read: connection reset by peer";
    case Failure::broken_pipe: return "write: broken pipe";
    // Go's net/http reports a keep-alive connection closed before any response byte as "EOF".
    case Failure::closed: return "EOF";
    case Failure::io_error: return "tcp: socket error";
    case Failure::protocol: return "malformed HTTP response";
    case Failure::timeout: return "request timeout";
    case Failure::interrupted: return "request interrupted";
    // Go's crypto/tls and x509 texts, which k6 reports as they are.
    case Failure::tls_unknown_authority: return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
    case Failure::tls_name_mismatch: return "tls: failed to verify certificate: x509: certificate is not valid for the server name";
    case Failure::tls_certificate: return "tls: failed to verify certificate";
    case Failure::tls_no_alpn: return "tls: no application protocol agreed (ALPN)";
    case Failure::tls_handshake: return "remote error: tls: handshake failure";
    case Failure::tls_record: return "tls: bad record";
  }
  return "unknown error";
}

int k6_error_code(Failure f) noexcept {
  switch (f) {
    case Failure::none: return 0;
    case Failure::dns: return 1100;
    case Failure::connect_refused: return 1212;
    case Failure::connect_timeout: return 1211;
    case Failure::connect_error: return 1210;
    case Failure::no_resources: return 1213;  // k6: a dial error with an errno it has no code for
    case Failure::reset: return 1220;
    case Failure::broken_pipe: return 1201;
    case Failure::closed: return 1000;
    case Failure::io_error: return 1200;
    case Failure::protocol: return 1000;
    case Failure::timeout: return 1050;
    case Failure::interrupted: return 1000;
    case Failure::tls_unknown_authority: return 1310;
    case Failure::tls_name_mismatch: return 1311;
    case Failure::tls_certificate:
    case Failure::tls_no_alpn:
    case Failure::tls_handshake: return 1300;
    case Failure::tls_record: return 1301;
  }
  return 1000;
}

bool is_resource_exhaustion(int error) noexcept {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

Failure classify_errno(int error, bool connecting) noexcept {
  if (is_resource_exhaustion(error)) return Failure::no_resources;
  switch (error) {
    case 0: return Failure::none;
    case ECONNREFUSED: return connecting ? Failure::connect_refused : Failure::reset;
    case ETIMEDOUT: return connecting ? Failure::connect_timeout : Failure::timeout;
    case ECANCELED: return Failure::interrupted;
    case ECONNRESET: return Failure::reset;
    case EPIPE: return Failure::broken_pipe;
    default: return connecting ? Failure::connect_error : Failure::io_error;
  }
}

}  // namespace inferload::net
