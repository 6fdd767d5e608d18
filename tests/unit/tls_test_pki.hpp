#pragma once
// Certificates made by the TLS tests themselves, for one test process: a throwaway CA, a server
// certificate for localhost and 127.0.0.1, a client certificate, and a CA nobody trusts. The
// files go to the test's temporary directory and are removed at exit.
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace inferload::tls::test {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* x) const { X509_free(x); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

inline Key make_key() { return Key(EVP_EC_gen("P-256")); }

inline void add_extension(X509* x, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
  X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(e, nullptr);
  X509_add_ext(x, e, -1);
  X509_EXTENSION_free(e);
}

// Signed by `issuer` (self-signed when null); `names` is a subjectAltName value.
inline Cert make_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, bool ca, const char* names) {
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
inline Written written;

inline std::string write_pem(const std::string& name, X509* cert, EVP_PKEY* key) {
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

inline Pki& pki() {
  static Pki p;
  return p;
}

struct ServerContextFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using ServerContext = std::unique_ptr<SSL_CTX, ServerContextFree>;

// A server's context with the PKI's server certificate, able to resume sessions; with `alpn`
// ("h2"), that protocol is chosen whenever the client offers it, as a gRPC server does.
inline ServerContext server_context(const char* alpn = nullptr) {
  ServerContext ctx(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_use_certificate(ctx.get(), pki().server.get());
  SSL_CTX_use_PrivateKey(ctx.get(), pki().server_key.get());
  const unsigned char id[] = "inferload tests";
  SSL_CTX_set_session_id_context(ctx.get(), id, sizeof(id));
  if (alpn) {
    SSL_CTX_set_alpn_select_cb(
        ctx.get(),
        [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
           void* arg) {
          const auto* want = static_cast<const char*>(arg);
          for (unsigned i = 0; i < inlen; i += 1u + in[i]) {
            if (in[i] == std::strlen(want) && std::memcmp(in + i + 1, want, in[i]) == 0) {
              *out = in + i + 1;
              *outlen = in[i];
              return SSL_TLSEXT_ERR_OK;
            }
          }
          return SSL_TLSEXT_ERR_ALERT_FATAL;
        },
        const_cast<char*>(alpn));
  }
  return ctx;
}

}  // namespace inferload::tls::test
