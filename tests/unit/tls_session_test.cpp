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

namespace inferload::tls {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* x) const { X509_free(x); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key make_key() { return Key(EVP_EC_gen("P-256")); }

void add_extension(X509* x, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
  X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(e, nullptr);
  X509_add_ext(x, e, -1);
  X509_EXTENSION_free(e);
}

// Signed by `issuer` (self-signed when null); `names` is a subjectAltName value.
Cert make_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, bool ca, const char* names) {
  static long serial = 1;
  Cert x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400);
  X509_set_pubkey(x.get(), key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(x.get(), X509_get_subject_name(issuer ? issuer : x.get()));
  add_extension(x.get(), issuer ? issuer : x.get(), NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (names) add_extension(x.get(), issuer ? issuer : x.get(), NID_subject_alt_name, names);
  X509_sign(x.get(), issuer_key ? issuer_key : key, EVP_sha256());
  return x;
}

// Removed at exit: keys made for one test run are no one's to keep.
struct Written {
  std::vector<std::string> paths;
  ~Written() {
    for (const std::string& p : paths) std::remove(p.c_str());
  }
};
Written written;

std::string write_pem(const std::string& name, X509* cert, EVP_PKEY* key) {
  // ctest runs each test in a process of its own, several at once: each makes its own PKI.
  const std::string path = ::testing::TempDir() + "/inferload-tls-" + std::to_string(::getpid()) + "-" + name;
  FILE* f = std::fopen(path.c_str(), "w");
  if (cert) PEM_write_X509(f, cert);
  if (key) PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  written.paths.push_back(path);
  return path;
}

// A CA, a server certificate for localhost and 127.0.0.1, and a client certificate, all made
// for this test run, and one more CA that nobody trusts.
struct Pki {
  Key ca_key = make_key(), server_key = make_key(), client_key = make_key(), other_key = make_key();
  Cert ca = make_cert(ca_key.get(), "inferload test CA", nullptr, nullptr, true, nullptr);
  Cert server = make_cert(server_key.get(), "localhost", ca.get(), ca_key.get(), false, "DNS:localhost,IP:127.0.0.1");
  Cert client = make_cert(client_key.get(), "a VU", ca.get(), ca_key.get(), false, nullptr);
  Cert other = make_cert(other_key.get(), "someone else", nullptr, nullptr, true, nullptr);
  std::string ca_file = write_pem("ca.pem", ca.get(), nullptr);
  std::string other_file = write_pem("other.pem", other.get(), nullptr);
  std::string client_cert = write_pem("client.pem", client.get(), nullptr);
  std::string client_key_file = write_pem("client.key", nullptr, client_key.get());
};

Pki& pki() {
  static Pki p;
  return p;
}

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
  EXPECT_EQ(c.reason(), "x509: certificate is not valid for seldon.example.com");
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
