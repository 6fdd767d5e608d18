#include "grpc_tls.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <cstdio>
#include <memory>

namespace scv2sim {
namespace {

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Cert = std::unique_ptr<X509, X509Free>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

std::string read_file(const char* flag, const std::string& path) {
    const auto fail = [&] {
        return UsageError(std::string(flag) + ": cannot read '" + path + "': " + std::strerror(errno));
    };
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) throw fail();
    std::string text;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) text.append(buf, n);
    // A directory opens, and fails only here (EISDIR).
    if (std::ferror(f.get())) throw fail();
    return text;
}

std::unique_ptr<BIO, BioFree> memory(const std::string& pem) {
    return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

Cert first_certificate(const char* flag, const std::string& path, const std::string& pem) {
    Cert cert(PEM_read_bio_X509(memory(pem).get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!cert) throw UsageError(std::string(flag) + ": '" + path + "' holds no PEM certificate");
    return cert;
}

}  // namespace

std::optional<GrpcTls> load_grpc_tls(const Options& opt) {
    if (opt.grpc_tls_cert.empty()) return std::nullopt;
    GrpcTls tls;
    tls.cert_chain_pem = read_file("--grpc-tls-cert", opt.grpc_tls_cert);
    tls.private_key_pem = read_file("--grpc-tls-key", opt.grpc_tls_key);
    const Cert cert = first_certificate("--grpc-tls-cert", opt.grpc_tls_cert, tls.cert_chain_pem);
    const Key key(PEM_read_bio_PrivateKey(memory(tls.private_key_pem).get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!key) throw UsageError("--grpc-tls-key: '" + opt.grpc_tls_key + "' holds no PEM private key");
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
        ERR_clear_error();
        throw UsageError("--grpc-tls-key: '" + opt.grpc_tls_key + "' is not the key of the certificate in '" +
                         opt.grpc_tls_cert + "'");
    }
    if (!opt.grpc_tls_client_ca.empty()) {
        tls.client_ca_pem = read_file("--grpc-tls-client-ca", opt.grpc_tls_client_ca);
        first_certificate("--grpc-tls-client-ca", opt.grpc_tls_client_ca, tls.client_ca_pem);
    }
    return tls;
}

}  // namespace scv2sim
