#pragma once
// The certificate, key and client CA that --grpc-tls-cert, --grpc-tls-key and
// --grpc-tls-client-ca name, read and checked before any listener opens.

#include <optional>
#include <string>

#include "options.hpp"

namespace scv2sim {

struct GrpcTls {
    std::string cert_chain_pem;
    std::string private_key_pem;
    std::string client_ca_pem;  // empty: no client certificate is asked for
};

// Nothing when no --grpc-tls-cert was given. Throws UsageError, one line naming the flag and the
// file, for a file that cannot be read, holds no PEM certificate or key, or a key that is not
// the certificate's: grpc would only refuse to start, without saying which.
std::optional<GrpcTls> load_grpc_tls(const Options& opt);

}  // namespace scv2sim
