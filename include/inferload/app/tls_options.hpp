#pragma once
// k6's TLS options, as inferload takes them (docs/tls.md): flags first, then K6_* variables, then
// the options file's keys. They make the one TLS client configuration of a run, from which the
// REST and the gRPC connections each get a context (ALPN http/1.1 and h2).
#include <optional>
#include <string>

#include "inferload/app/cli.hpp"
#include "inferload/app/options_file.hpp"
#include "inferload/scv2/settings.hpp"
#include "inferload/tls/context.hpp"
#include "inferload/tls/secure_socket.hpp"

namespace inferload::app {

// Throws ExitError (kExitOtherError) with one line naming the flag, variable or key at fault.
tls::ClientOptions tls_client_options(const RunArgs& args, const scv2::EnvLookup& env, const OptionsFile* file);

// The peer a protocol's connections reach over TLS: the context (made now, so that an unreadable
// CA file or a key that does not match its certificate stops the run before it starts) and the
// server name, --tls-server-name or else `host`. Throws ExitError (kExitInvalidConfig).
tls::Peer make_tls_peer(const tls::ClientOptions& options, const std::string& alpn, const RunArgs& args,
                        const std::string& host);

// INFER_GRPC_ENDPOINT as host:port, with the scheme that asks for TLS (grpcs://, https://)
// taken off: `tls` is set when one was there.
std::string grpc_endpoint_address(const std::string& endpoint, bool& tls);

}  // namespace inferload::app
