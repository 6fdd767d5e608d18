#include "inferload/tls/session.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "tls_detail.hpp"

namespace inferload::tls {
namespace {

bool is_ip_address(const std::string& name) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, name.c_str(), buf) == 1 || ::inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

bool unknown_authority(long v) {
  switch (v) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED: return true;
    default: return false;
  }
}

}  // namespace

int detail::remember_session(SSL* ssl, SSL_SESSION* session) {
  auto* s = static_cast<Session*>(SSL_get_app_data(ssl));
  if (!s) return 0;
  s->keep_ticket(Ticket(session, SSL_SESSION_free));
  return 1;  // the reference is ours now
}

int k6_error_code(Failure f) noexcept {
  switch (f) {
    case Failure::none: return 0;
    case Failure::unknown_authority: return 1310;
    case Failure::name_mismatch: return 1311;
    case Failure::record: return 1301;
    case Failure::certificate:
    case Failure::no_alpn:
    case Failure::handshake: return 1300;
  }
  return 1300;
}

net::Failure to_net_failure(Failure f) noexcept {
  switch (f) {
    case Failure::none: return net::Failure::none;
    case Failure::unknown_authority: return net::Failure::tls_unknown_authority;
    case Failure::name_mismatch: return net::Failure::tls_name_mismatch;
    case Failure::certificate: return net::Failure::tls_certificate;
    case Failure::no_alpn: return net::Failure::tls_no_alpn;
    case Failure::handshake: return net::Failure::tls_handshake;
    case Failure::record: return net::Failure::tls_record;
  }
  return net::Failure::tls_handshake;
}

const char* version_tag(Version v) noexcept {
  switch (v) {
    case Version::any: return "";
    case Version::tls1_0: return "tls1.0";
    case Version::tls1_1: return "tls1.1";
    case Version::tls1_2: return "tls1.2";
    case Version::tls1_3: return "tls1.3";
  }
  return "";
}

Session::Session(const Context& context, const std::string& server_name, const Ticket& resume)
    : context_(context), ticket_(resume), server_name_(server_name) {
  ssl_ = SSL_new(context.native());
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (!ssl_ || !in_ || !out_) {
    SSL_free(ssl_);
    BIO_free(in_);
    BIO_free(out_);
    throw std::bad_alloc();
  }
  // An empty input is "wait for more", not the end of the stream.
  BIO_set_mem_eof_return(in_, -1);
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_connect_state(ssl_);
  SSL_set_app_data(ssl_, this);
  const bool ip = is_ip_address(server_name_);
  // SNI carries host names only (RFC 6066 section 3).
  if (!ip && !server_name_.empty()) SSL_set_tlsext_host_name(ssl_, server_name_.c_str());
  if (context.options().verify) {
    if (ip) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), server_name_.c_str());
    else SSL_set1_host(ssl_, server_name_.c_str());
  }
  if (resume && context.options().resumption) SSL_set_session(ssl_, resume.get());
}

Session::~Session() {
  // A connection closed without close_notify would make OpenSSL mark its session unusable: but
  // closing a healthy connection (as HTTP clients do) is no reason not to resume it.
  if (failure_ == Failure::none && SSL_is_init_finished(ssl_)) {
    SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  }
  SSL_free(ssl_);  // and both BIOs with it
}

void Session::keep_ticket(Ticket t) noexcept { ticket_ = std::move(t); }

void Session::take_output(std::string& out) {
  const std::size_t pending = BIO_ctrl_pending(out_);
  if (pending == 0) return;
  const std::size_t old = out.size();
  out.resize(old + pending);
  const int n = BIO_read(out_, out.data() + old, static_cast<int>(pending));
  out.resize(old + static_cast<std::size_t>(n > 0 ? n : 0));
}

void Session::fail(Failure f, std::string reason) {
  if (failure_ != Failure::none) return;
  failure_ = f;
  reason_ = std::move(reason);
}

// Go's words: "x509: certificate is valid for a.example, 10.0.0.1, not NAME".
std::string Session::name_mismatch_reason() const {
  std::string names;
  // The chain as the server sent it: a failed verification leaves no peer certificate set.
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_);
  X509* cert = chain && sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : SSL_get0_peer_certificate(ssl_);
  auto* sans = cert ? static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))
                    : nullptr;
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
    std::string name;
    if (n->type == GEN_DNS) {
      name.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                  static_cast<std::size_t>(ASN1_STRING_length(n->d.dNSName)));
    } else if (n->type == GEN_IPADD) {
      const int len = ASN1_STRING_length(n->d.iPAddress);
      char text[INET6_ADDRSTRLEN] = {};
      if (len == 4 || len == 16) {
        ::inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(n->d.iPAddress), text, sizeof(text));
      }
      name = text;
    }
    if (name.empty()) continue;
    if (!names.empty()) names.append(", ");
    names.append(name);
  }
  GENERAL_NAMES_free(sans);
  if (names.empty()) return "x509: certificate is not valid for " + server_name_;
  return "x509: certificate is valid for " + names + ", not " + server_name_;
}

void Session::fail_from_openssl(Failure fallback, int ssl_error) {
  const long verify = SSL_get_verify_result(ssl_);
  if (fallback == Failure::handshake && context_.options().verify && verify != X509_V_OK) {
    if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
      fail(Failure::name_mismatch, name_mismatch_reason());
    } else if (unknown_authority(verify)) {
      fail(Failure::unknown_authority, "x509: certificate signed by unknown authority");
    } else {
      fail(Failure::certificate, std::string("x509: ") + X509_verify_cert_error_string(verify));
    }
    ERR_clear_error();
    return;
  }
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  std::string why = "tls: ";
  if (e != 0) {
    const char* r = ERR_reason_error_string(e);
    why += r ? r : "error " + std::to_string(e);
  } else {
    why += "error " + std::to_string(ssl_error);
  }
  fail(fallback, std::move(why));
}

Session::Step Session::handshake(std::string_view in, std::string& out) {
  if (failure_ != Failure::none) return Step::failed;
  if (!in.empty() && BIO_write(in_, in.data(), static_cast<int>(in.size())) != static_cast<int>(in.size())) {
    fail(Failure::handshake, "tls: out of memory");
    return Step::failed;
  }
  ERR_clear_error();
  const int r = SSL_do_handshake(ssl_);
  take_output(out);  // the next flight, or the alert that tells the server why we stopped
  if (r == 1) {
    const unsigned char* chosen = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(ssl_, &chosen, &len);
    const std::string_view agreed(reinterpret_cast<const char*>(chosen), len);
    // HTTP/1.1 is what a server without ALPN speaks; gRPC needs h2 said out loud (as grpc-go).
    if (agreed != context_.alpn() && !(agreed.empty() && context_.alpn() == "http/1.1")) {
      fail(Failure::no_alpn, "tls: the server agreed on no protocol we offered (" + std::string(context_.alpn()) +
                                 (agreed.empty() ? ")" : "; it chose " + std::string(agreed) + ")"));
      return Step::failed;
    }
    return Step::done;
  }
  const int err = SSL_get_error(ssl_, r);
  if (err == SSL_ERROR_WANT_READ) return Step::more;
  fail_from_openssl(Failure::handshake, err);
  return Step::failed;
}

Session::Step Session::read(std::string_view in, std::string& plain, std::string& out) {
  if (failure_ != Failure::none) return Step::failed;
  if (!in.empty() && BIO_write(in_, in.data(), static_cast<int>(in.size())) != static_cast<int>(in.size())) {
    fail(Failure::record, "tls: out of memory");
    return Step::failed;
  }
  Step step = Step::more;
  // One record's plaintext at most per call. Through a buffer of the thread's own, not by
  // growing `plain` by a record's size first, which would zero 16 KiB for every response.
  // The error queue is not cleared before each call, as OpenSSL asks: clearing it costs more than
  // the rest of a small record's work, and every failure path here empties it, so on a thread
  // where only sessions call OpenSSL it is empty already.
  thread_local char record[16384];
  for (;;) {
    const int n = SSL_read(ssl_, record, static_cast<int>(sizeof(record)));
    if (n > 0) {
      plain.append(record, static_cast<std::size_t>(n));
      // Another call only when there is more to read: one that finds nothing costs as much as
      // one that decrypts a record.
      if (SSL_pending(ssl_) > 0 || SSL_has_pending(ssl_) == 1 || BIO_ctrl_pending(in_) > 0) continue;
      break;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ) break;
    if (err == SSL_ERROR_ZERO_RETURN) {
      step = Step::done;
      break;
    }
    fail_from_openssl(Failure::record, err);
    step = Step::failed;
    break;
  }
  take_output(out);
  return step;
}

bool Session::write(const runtime::ConstBuffer* buffers, std::size_t count, std::string& out) {
  if (failure_ != Failure::none) return false;
  for (std::size_t i = 0; i < count; ++i) {
    if (buffers[i].size == 0) continue;
    const int n = SSL_write(ssl_, buffers[i].data, static_cast<int>(buffers[i].size));
    if (n <= 0) {
      fail_from_openssl(Failure::record, SSL_get_error(ssl_, n));
      take_output(out);
      return false;
    }
  }
  take_output(out);
  return true;
}

Version Session::version() const noexcept {
  if (!SSL_is_init_finished(ssl_)) return Version::any;
  switch (SSL_version(ssl_)) {
    case TLS1_VERSION: return Version::tls1_0;
    case TLS1_1_VERSION: return Version::tls1_1;
    case TLS1_2_VERSION: return Version::tls1_2;
    case TLS1_3_VERSION: return Version::tls1_3;
    default: return Version::any;
  }
}

bool Session::resumed() const noexcept { return SSL_session_reused(ssl_) == 1; }

}  // namespace inferload::tls
