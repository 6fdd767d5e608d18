#pragma once
// What every TLS connection of a run shares: the trust roots, the client certificate, the
// versions, cipher suites and the protocol offered in ALPN, made once (OpenSSL's SSL_CTX, which
// its sessions may share across threads) from k6's TLS options.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

typedef struct ssl_ctx_st SSL_CTX;

namespace inferload::tls {

enum class Version : int { any = 0, tls1_0 = 0x0301, tls1_1 = 0x0302, tls1_2 = 0x0303, tls1_3 = 0x0304 };
// k6's names: "tls1.0" ... "tls1.3". Throws std::invalid_argument naming the accepted ones.
Version parse_version(std::string_view name);

struct ClientOptions {
  bool verify = true;        // false: --insecure-skip-tls-verify
  std::string ca_file;       // --tls-ca (PEM); empty: the system's roots
  std::string cert_file;     // --tls-cert (PEM), with key_file: a client certificate
  std::string key_file;      // --tls-key (PEM)
  Version min_version = Version::tls1_2;  // Go's client default minimum, as k6's
  Version max_version = Version::any;
  // IANA names, as k6's tlsCipherSuites takes them (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, ...,
  // TLS_AES_128_GCM_SHA256); empty: OpenSSL's defaults.
  std::vector<std::string> cipher_suites;
  std::string cipher_suites_source = "--tls-cipher-suites";  // where they came from, for errors
  bool resumption = true;    // false: --no-tls-resumption
};

class Context {
 public:
  // `alpn` is the one protocol offered ("http/1.1" or "h2"). Throws std::invalid_argument with one
  // line naming the file or option at fault (an unreadable CA, a key that does not match its
  // certificate, an unknown cipher suite, a minimum above the maximum).
  Context(const ClientOptions& options, std::string alpn);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  SSL_CTX* native() const noexcept { return ctx_; }
  const ClientOptions& options() const noexcept { return options_; }
  std::string_view alpn() const noexcept { return alpn_; }

 private:
  ClientOptions options_;
  std::string alpn_;
  SSL_CTX* ctx_ = nullptr;
};

}  // namespace inferload::tls
