#include "inferload/tls/context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "tls_detail.hpp"

namespace inferload::tls {
namespace {

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  const char* r = ERR_reason_error_string(e);
  return r ? r : "error " + std::to_string(e);
}

bool is_tls13_suite(std::string_view name) {
  for (std::string_view s : {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                             "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"}) {
    if (name == s) return true;
  }
  return false;
}

// k6 takes the IANA names; OpenSSL's own TLS 1.2 list names the same suites its own way.
void set_cipher_suites(SSL_CTX* ctx, const std::vector<std::string>& names, const std::string& source) {
  std::string tls12, tls13;
  STACK_OF(SSL_CIPHER)* all = SSL_CTX_get_ciphers(ctx);
  for (const std::string& name : names) {
    if (is_tls13_suite(name)) {
      if (!tls13.empty()) tls13 += ':';
      tls13 += name;
      continue;
    }
    const char* openssl_name = nullptr;
    for (int i = 0; all && i < sk_SSL_CIPHER_num(all); ++i) {
      const SSL_CIPHER* c = sk_SSL_CIPHER_value(all, i);
      const char* standard = SSL_CIPHER_standard_name(c);
      if (standard && name == standard) openssl_name = SSL_CIPHER_get_name(c);
    }
    if (!openssl_name) throw std::invalid_argument(source + ": " + name + " is not a cipher suite this build offers");
    if (!tls12.empty()) tls12 += ':';
    tls12 += openssl_name;
  }
  if (!tls12.empty() && SSL_CTX_set_cipher_list(ctx, tls12.c_str()) != 1) {
    throw std::invalid_argument(source + ": " + openssl_error());
  }
  if (!tls13.empty() && SSL_CTX_set_ciphersuites(ctx, tls13.c_str()) != 1) {
    throw std::invalid_argument(source + ": " + openssl_error());
  }
}

const char* version_name(Version v) {
  switch (v) {
    case Version::tls1_0: return "tls1.0";
    case Version::tls1_1: return "tls1.1";
    case Version::tls1_2: return "tls1.2";
    case Version::tls1_3: return "tls1.3";
    case Version::any: break;
  }
  return "any";
}

}  // namespace

Version parse_version(std::string_view name) {
  for (Version v : {Version::tls1_0, Version::tls1_1, Version::tls1_2, Version::tls1_3}) {
    if (name == version_name(v)) return v;
  }
  throw std::invalid_argument("\"" + std::string(name) + "\" is not a TLS version (tls1.0, tls1.1, tls1.2 or tls1.3)");
}

Context::Context(const ClientOptions& options, std::string alpn) : options_(options), alpn_(std::move(alpn)) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ctx_) throw std::runtime_error("TLS: cannot make a context: " + openssl_error());
  try {
    SSL_CTX_set_verify(ctx_, options_.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    if (!options_.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ctx_, options_.ca_file.c_str(), nullptr) != 1) {
        throw std::invalid_argument("--tls-ca " + options_.ca_file + ": not a readable PEM file of certificates (" +
                                    openssl_error() + ")");
      }
    } else if (SSL_CTX_set_default_verify_paths(ctx_) != 1) {
      ERR_clear_error();  // no system roots: every verified handshake will say so
    }
    if (options_.cert_file.empty() != options_.key_file.empty()) {
      throw std::invalid_argument("--tls-cert and --tls-key go together: a client certificate needs its key");
    }
    if (!options_.cert_file.empty()) {
      if (SSL_CTX_use_certificate_chain_file(ctx_, options_.cert_file.c_str()) != 1) {
        throw std::invalid_argument("--tls-cert " + options_.cert_file + ": not a readable PEM certificate (" +
                                    openssl_error() + ")");
      }
      if (SSL_CTX_use_PrivateKey_file(ctx_, options_.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        // OpenSSL checks the pair as it loads the key.
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
          ERR_clear_error();
          throw std::invalid_argument("--tls-key " + options_.key_file + " is not the key of --tls-cert " +
                                      options_.cert_file);
        }
        throw std::invalid_argument("--tls-key " + options_.key_file + ": not a readable PEM private key (" +
                                    openssl_error() + ")");
      }
      if (SSL_CTX_check_private_key(ctx_) != 1) {
        throw std::invalid_argument("--tls-key " + options_.key_file + " is not the key of --tls-cert " +
                                    options_.cert_file);
      }
    }
    if (options_.max_version != Version::any && options_.min_version != Version::any &&
        static_cast<int>(options_.min_version) > static_cast<int>(options_.max_version)) {
      throw std::invalid_argument(std::string("--tls-version: the minimum ") + version_name(options_.min_version) +
                                  " is above the maximum " + version_name(options_.max_version));
    }
    SSL_CTX_set_min_proto_version(ctx_, static_cast<int>(options_.min_version));
    SSL_CTX_set_max_proto_version(ctx_, static_cast<int>(options_.max_version));
    if (!options_.cipher_suites.empty()) set_cipher_suites(ctx_, options_.cipher_suites, options_.cipher_suites_source);
    if (!alpn_.empty()) {
      if (alpn_.size() > 255) throw std::invalid_argument("TLS: an ALPN protocol name is at most 255 bytes");
      std::string wire(1, static_cast<char>(alpn_.size()));
      wire += alpn_;
      // Unlike the rest of OpenSSL, 0 is success here.
      if (SSL_CTX_set_alpn_protos(ctx_, reinterpret_cast<const unsigned char*>(wire.data()),
                                  static_cast<unsigned>(wire.size())) != 0) {
        throw std::runtime_error("TLS: cannot offer ALPN " + alpn_);
      }
    }
    if (options_.resumption) {
      // Each connection keeps the session the server gave it (detail::remember_session): no
      // process-wide cache, no lock shared by the workers.
      SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
      SSL_CTX_sess_set_new_cb(ctx_, detail::remember_session);
    } else {
      SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
      SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET);
    }
  } catch (...) {
    SSL_CTX_free(ctx_);
    throw;
  }
}

Context::~Context() { SSL_CTX_free(ctx_); }

}  // namespace inferload::tls
