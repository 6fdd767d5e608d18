// tls::Session against OpenSSL's own server, over memory: certificates made here (a throwaway
// CA, a server and a client certificate), trust, names, ALPN, mutual TLS, resumption, and the
// peer's bytes cut at every byte boundary.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "inferload/tls/context.hpp"
#include "inferload/tls/session.hpp"
#include "tls_test_pki.hpp"

namespace inferload::tls {
namespace {

using namespace test;  // NOLINT: the PKI's names

// OpenSSL's server side over memory BIOs.
class Server {
 public:
  struct Options {
    std::string alpn = "h2";  // what it picks when offered; "" for no ALPN at all
    bool require_client_cert = false;
    int max_version = 0;
  };
  explicit Server(const Options& o) : o_(o) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx_, pki().server.get());
    SSL_CTX_use_PrivateKey(ctx_, pki().server_key.get());
    if (o_.max_version) SSL_CTX_set_max_proto_version(ctx_, o_.max_version);
    if (!o_.alpn.empty()) SSL_CTX_set_alpn_select_cb(ctx_, &Server::select, this);
    if (o_.require_client_cert) {
      X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), pki().ca.get());
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    const unsigned char id[] = "inferload-test";
    SSL_CTX_set_session_id_context(ctx_, id, sizeof(id));
  }
  ~Server() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  void accept() {
    SSL_free(ssl_);
    ssl_ = SSL_new(ctx_);
    BIO* in = BIO_new(BIO_s_mem());
    BIO* out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in, -1);
    SSL_set_bio(ssl_, in, out);
    SSL_set_accept_state(ssl_);
    done_ = failed_ = false;
  }
  // The client's bytes in; the server's answer out.
  std::string feed(const std::string& in) {
    if (!in.empty()) BIO_write(SSL_get_rbio(ssl_), in.data(), static_cast<int>(in.size()));
    if (!done_ && !failed_) {
      const int r = SSL_do_handshake(ssl_);
      if (r == 1) done_ = true;
      else if (SSL_get_error(ssl_, r) != SSL_ERROR_WANT_READ) failed_ = true;
    }
    if (done_) {
      char buf[4096];
      int n;
      while ((n = SSL_read(ssl_, buf, sizeof(buf))) > 0) received.append(buf, static_cast<std::size_t>(n));
      if (SSL_get_error(ssl_, n) != SSL_ERROR_WANT_READ && SSL_get_error(ssl_, n) != SSL_ERROR_ZERO_RETURN) {
        failed_ = true;
      }
    }
    ERR_clear_error();
    return drain();
  }
  std::string send(const std::string& plain) {
    SSL_write(ssl_, plain.data(), static_cast<int>(plain.size()));
    return drain();
  }
  bool done() const { return done_; }
  bool failed() const { return failed_; }
  std::string received;

 private:
  std::string drain() {
    std::string out;
    char buf[4096];
    int n;
    while ((n = BIO_read(SSL_get_wbio(ssl_), buf, sizeof(buf))) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
  static int select(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
                    void* arg) {
    auto* self = static_cast<Server*>(arg);
    for (unsigned i = 0; i < inlen; i += 1 + in[i]) {
      if (std::string_view(reinterpret_cast<const char*>(in + i + 1), in[i]) == self->o_.alpn) {
        *out = in + i + 1;
        *outlen = in[i];
        return SSL_TLSEXT_ERR_OK;
      }
    }
    return SSL_TLSEXT_ERR_NOACK;
  }
  Options o_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool done_ = false, failed_ = false;
};

// Hands `bytes` to `take` `chunk` bytes at a time (all at once for 0); stops when it says false.
template <class F>
void in_pieces(const std::string& bytes, std::size_t chunk, F&& take) {
  if (chunk == 0) chunk = bytes.size();
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    if (!take(std::string_view(bytes).substr(at, chunk))) return;
  }
}

// What the server answered the client's last flight with (TLS 1.3's session, an alert), for
// the client's first read.
std::string pending_to_client;

// The client's handshake against the server, the server's bytes cut into `chunk`-byte pieces.
Session::Step handshake(Session& c, Server& s, std::size_t chunk = 0) {
  s.accept();
  pending_to_client.clear();
  std::string to_server;
  Session::Step step = c.handshake({}, to_server);
  for (int round = 0; round < 10 && step == Session::Step::more; ++round) {
    const std::string to_client = s.feed(to_server);
    to_server.clear();
    in_pieces(to_client, chunk, [&](std::string_view piece) {
      step = c.handshake(piece, to_server);
      return step == Session::Step::more;
    });
    if (to_client.empty() && to_server.empty()) break;
  }
  // The client's last flight (its Finished, a certificate) completes the server's side.
  if (!to_server.empty()) pending_to_client = s.feed(to_server);
  return step;
}

ClientOptions trusting_ca() {
  ClientOptions o;
  o.ca_file = pki().ca_file;
  return o;
}

TEST(TlsSession, VerifiesTheServerAgreesOnH2AndCarriesDataBothWays) {
  Context ctx(trusting_ca(), "h2");
  Server server({});
  Session c(ctx, "localhost");
  ASSERT_EQ(handshake(c, server), Session::Step::done) << c.reason();
  EXPECT_EQ(std::string(c.version_tag()), "tls1.3");
  EXPECT_FALSE(c.resumed());
  std::string records;
  const std::string request = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  const runtime::ConstBuffer b[2] = {{request.data(), 10}, {request.data() + 10, request.size() - 10}};
  ASSERT_TRUE(c.write(b, 2, records));
  server.feed(records);
  EXPECT_EQ(server.received, request);
  std::string plain, out;
  const std::string answer(40000, 'x');  // three records
  EXPECT_EQ(c.read(pending_to_client + server.send(answer), plain, out), Session::Step::more);
  EXPECT_EQ(plain, answer);
  // TLS 1.3 sends the session after the handshake: it came with the first bytes read.
  EXPECT_NE(c.ticket(), nullptr);
}

TEST(TlsSession, AnIpAddressIsCheckedAgainstTheCertificatesAddresses) {
  Context ctx(trusting_ca(), "http/1.1");
  Server server({.alpn = "http/1.1"});
  Session c(ctx, "127.0.0.1");
  EXPECT_EQ(handshake(c, server), Session::Step::done) << c.reason();
}

TEST(TlsSession, AnUntrustedCertificateFailsWithK6sCodeUnlessVerificationIsOff) {
  ClientOptions o;
  o.ca_file = pki().other_file;
  Context ctx(o, "h2");
  Server server({});
  Session c(ctx, "localhost");
  EXPECT_EQ(handshake(c, server), Session::Step::failed);
  EXPECT_EQ(c.failure(), Failure::unknown_authority);
  EXPECT_EQ(k6_error_code(c.failure()), 1310);
  EXPECT_EQ(c.reason(), "x509: certificate signed by unknown authority");
  o.verify = false;
  Context insecure(o, "h2");
  Session d(insecure, "localhost");
  EXPECT_EQ(handshake(d, server), Session::Step::done) << d.reason();
}

TEST(TlsSession, ANameTheCertificateDoesNotHoldFails) {
  Context ctx(trusting_ca(), "h2");
  Server server({});
  Session c(ctx, "seldon.example.com");
  EXPECT_EQ(handshake(c, server), Session::Step::failed);
  EXPECT_EQ(c.failure(), Failure::name_mismatch);
  EXPECT_EQ(k6_error_code(c.failure()), 1311);
  EXPECT_EQ(c.reason(), "x509: certificate is valid for localhost, 127.0.0.1, not seldon.example.com");
}

TEST(TlsSession, GrpcNeedsTheServerToAgreeOnH2ButHttp1DoesNot) {
  Server plain_server({.alpn = ""});
  Context h2(trusting_ca(), "h2");
  Session c(h2, "localhost");
  EXPECT_EQ(handshake(c, plain_server), Session::Step::failed);
  EXPECT_EQ(c.failure(), Failure::no_alpn);
  EXPECT_EQ(c.reason(), "tls: the server agreed on no protocol we offered (h2)");
  Context http1(trusting_ca(), "http/1.1");
  Session d(http1, "localhost");
  EXPECT_EQ(handshake(d, plain_server), Session::Step::done) << d.reason();
}

TEST(TlsSession, MutualTlsWorksWithTheClientCertificateAndFailsWithout) {
  Server server({.require_client_cert = true});
  ClientOptions o = trusting_ca();
  o.cert_file = pki().client_cert;
  o.key_file = pki().client_key_file;
  Context with_cert(o, "h2");
  Session c(with_cert, "localhost");
  ASSERT_EQ(handshake(c, server), Session::Step::done) << c.reason();
  EXPECT_TRUE(server.done());
  Context without(trusting_ca(), "h2");
  Session d(without, "localhost");
  // In TLS 1.3 the client is done before the server has looked at its certificate: the
  // server's alert ends the first read.
  handshake(d, server);
  EXPECT_TRUE(server.failed());
  std::string plain, out;
  EXPECT_EQ(d.read(pending_to_client, plain, out), Session::Step::failed);
  EXPECT_EQ(d.failure(), Failure::record);
  EXPECT_NE(d.reason().find("certificate required"), std::string::npos) << d.reason();
}

TEST(TlsSession, TheNextConnectionResumesTheSessionUnlessResumptionIsOff) {
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    for (const bool resumption : {true, false}) {
      SCOPED_TRACE(std::to_string(version) + (resumption ? " resumption" : " no resumption"));
      ClientOptions o = trusting_ca();
      o.resumption = resumption;
      Context ctx(o, "h2");
      Server server({.max_version = version});
      Session first(ctx, "localhost");
      ASSERT_EQ(handshake(first, server), Session::Step::done) << first.reason();
      std::string plain, out;
      first.read(pending_to_client + server.send("hello"), plain, out);
      EXPECT_EQ(plain, "hello");
      EXPECT_EQ(first.ticket() != nullptr, resumption);
      Session second(ctx, "localhost", first.ticket());
      ASSERT_EQ(handshake(second, server), Session::Step::done) << second.reason();
      EXPECT_EQ(second.resumed(), resumption);
    }
  }
}

TEST(TlsSession, ThePeersBytesCutAtEveryByteGiveTheSameResult) {
  Context ctx(trusting_ca(), "h2");
  Server server({});
  const std::string answer = std::string(20000, 'a') + std::string(3, 'b');
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{517}, std::size_t{0}}) {
    SCOPED_TRACE(chunk);
    Session c(ctx, "localhost");
    ASSERT_EQ(handshake(c, server, chunk), Session::Step::done) << c.reason();
    std::string plain, out;
    in_pieces(pending_to_client + server.send(answer), chunk, [&](std::string_view piece) {
      EXPECT_EQ(c.read(piece, plain, out), Session::Step::more);
      return true;
    });
    EXPECT_EQ(plain, answer);
  }
}

TEST(TlsSession, BadBytesFromThePeerAreAFailureNotACrash) {
  Context ctx(trusting_ca(), "h2");
  Server server({});
  Session c(ctx, "localhost");
  std::string out;
  EXPECT_EQ(c.handshake("HTTP/1.1 400 Bad Request\r\n\r\n", out), Session::Step::failed);
  EXPECT_EQ(c.failure(), Failure::handshake);
  Session d(ctx, "localhost");
  ASSERT_EQ(handshake(d, server), Session::Step::done) << d.reason();
  std::string plain;
  std::string garbage(64, '\x17');  // an application-data record header, then nonsense
  EXPECT_EQ(d.read(pending_to_client + garbage, plain, out), Session::Step::failed);
  EXPECT_EQ(d.failure(), Failure::record);
  EXPECT_EQ(k6_error_code(d.failure()), 1301);
}

TEST(TlsContext, OptionsAtFaultAreNamed) {
  ClientOptions o;
  o.ca_file = "/nonexistent/ca.pem";
  try {
    Context c(o, "h2");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--tls-ca /nonexistent/ca.pem: ", 0), 0u) << e.what();
  }
  ClientOptions half;
  half.cert_file = pki().client_cert;
  EXPECT_THROW(Context(half, "h2"), std::invalid_argument);
  ClientOptions wrong_key = trusting_ca();
  wrong_key.cert_file = pki().client_cert;
  wrong_key.key_file = write_pem("other.key", nullptr, pki().other_key.get());
  try {
    Context c(wrong_key, "h2");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("is not the key of --tls-cert"), std::string::npos) << e.what();
  }
  ClientOptions suites;
  suites.cipher_suites = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"};
  EXPECT_NO_THROW(Context(suites, "h2"));
  suites.cipher_suites = {"TLS_NOT_A_SUITE"};
  EXPECT_THROW(Context(suites, "h2"), std::invalid_argument);
  ClientOptions versions;
  versions.min_version = parse_version("tls1.3");
  versions.max_version = parse_version("tls1.2");
  EXPECT_THROW(Context(versions, "h2"), std::invalid_argument);
  EXPECT_THROW(parse_version("ssl3"), std::invalid_argument);
}

}  // namespace
}  // namespace inferload::tls
