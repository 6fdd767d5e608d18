#pragma once
// One connection's TLS with no I/O of its own: OpenSSL reads the peer's records from a memory
// BIO and writes its own into another, and the caller (the connection, on its reactor) moves
// them to and from the socket. So TLS costs no thread, no blocking call and no syscall, and
// works the same over io_uring and epoll. The buffers are the connection's, reused from one
// request to the next.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "inferload/net/failure.hpp"
#include "inferload/runtime/socket.hpp"
#include "inferload/tls/context.hpp"

typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;
typedef struct bio_st BIO;

namespace inferload::tls {

// Why a TLS connection failed, as k6 sorts it (k6-semantics.md 4.4: 1300-1399).
enum class Failure : std::uint8_t {
  none,
  unknown_authority,  // 1310: the chain does not end at a trusted root
  name_mismatch,      // 1311: the certificate is not for the name asked for
  certificate,        // 1300: any other certificate problem (expired, not yet valid, ...)
  no_alpn,            // 1300: the server agreed on no protocol we offered
  handshake,          // 1300: an alert, or bytes that are not a handshake
  record,             // 1301: a record that does not decrypt or parse, after the handshake
};
int k6_error_code(Failure f) noexcept;
// The same failure as the protocols count it (net::Failure::tls_*).
net::Failure to_net_failure(Failure f) noexcept;

// k6's tls_version tag ("tls1.2", "tls1.3"); "" for Version::any (no TLS).
const char* version_tag(Version v) noexcept;

// A session the server gave us, to resume on the connection's next handshake.
using Ticket = std::shared_ptr<SSL_SESSION>;

class Session {
 public:
  enum class Step : std::uint8_t {
    more,    // needs more bytes from the peer (after sending `out`, when not empty)
    done,    // the handshake is complete / the peer closed the connection (close_notify)
    failed,  // see failure() and reason()
  };

  // `server_name` goes into SNI (unless it is an IP address) and is what the certificate must
  // name when the context verifies. `resume`, when not null, is offered for resumption.
  Session(const Context& context, const std::string& server_name, const Ticket& resume = nullptr);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts the handshake (empty `in`) or continues it with the peer's bytes; appends what must
  // be sent to `out`. Bytes that follow the handshake in `in` are kept for read().
  Step handshake(std::string_view in, std::string& out);
  // The peer's bytes in, plaintext appended to `plain`, anything owed to the peer (alerts) to
  // `out`. `more` whatever came out (check `plain`); `done` once the peer closed.
  Step read(std::string_view in, std::string& plain, std::string& out);
  // Plaintext in, records appended to `out`. False on failure.
  bool write(const runtime::ConstBuffer* buffers, std::size_t count, std::string& out);

  Failure failure() const noexcept { return failure_; }
  // One line: Go's words where k6 users know them ("x509: certificate signed by unknown
  // authority"), OpenSSL's otherwise.
  const std::string& reason() const noexcept { return reason_; }
  // k6's tls_version tag: "tls1.2", "tls1.3" (empty before the handshake is done).
  const char* version_tag() const noexcept { return tls::version_tag(version()); }
  Version version() const noexcept;  // Version::any before the handshake is done
  bool resumed() const noexcept;
  // The newest session the server issued on this connection (TLS 1.3 sends it after the
  // handshake, so it may come with a response), or the one resumed; null when none.
  const Ticket& ticket() const noexcept { return ticket_; }
  // From OpenSSL's new-session callback.
  void keep_ticket(Ticket t) noexcept;

 private:
  void take_output(std::string& out);
  void fail(Failure f, std::string reason);
  void fail_from_openssl(Failure fallback, int ssl_error);
  std::string name_mismatch_reason() const;

  const Context& context_;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // the peer's bytes, for OpenSSL to read
  BIO* out_ = nullptr;  // OpenSSL's records, for us to send
  Ticket ticket_;
  Failure failure_ = Failure::none;
  std::string reason_;
  std::string server_name_;
};

}  // namespace inferload::tls
