// grpc_probe: a grpc++ client for scv2-sim's contract test. Sends N sequential ModelInfer calls of
// SCv2's tfsimple shape and prints how many ended with each status code ("OK 10"), so that the
// Python test can check the simulator (and nginx's grpc_pass in front of it) with an independent,
// real gRPC stack, in clear or over TLS. The first failure's message goes to stderr.

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inference.grpc.pb.h"

namespace {

struct Args {
    std::string target;
    std::string model = "tfsimple1";
    long calls = 1;
    long timeout_ms = 0;  // 0: no deadline, so the server sees none
    bool bad = false;
    bool raw = false;  // the data in raw_input_contents instead of contents
    std::vector<std::pair<std::string, std::string>> metadata;
    bool tls = false;         // grpc's default roots unless --tls-ca
    std::string tls_ca;       // PEM files
    std::string tls_cert;
    std::string tls_key;
    std::string tls_server_name;  // the name the certificate must have, instead of the target's
};

[[noreturn]] void usage_error(const std::string& line) {
    std::cerr << "grpc_probe: " << line << "\n";
    std::exit(2);
}

long parse_count(std::string_view flag, std::string_view text) {
    long value = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0)
        usage_error(std::string(flag) + ": expected a non-negative integer, got '" +
                    std::string(text) + "'");
    return value;
}

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) usage_error(std::string(arg) + ": missing value");
            return argv[++i];
        };
        if (arg == "--target") a.target = value();
        else if (arg == "--model") a.model = value();
        else if (arg == "--calls") a.calls = parse_count(arg, value());
        else if (arg == "--timeout-ms") a.timeout_ms = parse_count(arg, value());
        else if (arg == "--bad") a.bad = true;
        else if (arg == "--raw") a.raw = true;
        else if (arg == "--tls") a.tls = true;
        else if (arg == "--tls-ca") a.tls_ca = value();
        else if (arg == "--tls-cert") a.tls_cert = value();
        else if (arg == "--tls-key") a.tls_key = value();
        else if (arg == "--tls-server-name") a.tls_server_name = value();
        else if (arg == "--metadata") {
            const std::string_view kv = value();
            const auto eq = kv.find('=');
            if (eq == std::string_view::npos || eq == 0)
                usage_error("--metadata: expected KEY=VALUE, got '" + std::string(kv) + "'");
            a.metadata.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
        } else {
            usage_error("unknown flag '" + std::string(arg) + "' (flags: --target HOST:PORT "
                        "--model NAME --calls N --timeout-ms MS --metadata K=V --bad --raw --tls "
                        "--tls-ca FILE --tls-cert FILE --tls-key FILE --tls-server-name NAME)");
        }
    }
    if (a.target.empty()) usage_error("--target: required");
    if (a.tls_cert.empty() != a.tls_key.empty()) usage_error("--tls-cert and --tls-key go together");
    a.tls = a.tls || !a.tls_ca.empty() || !a.tls_cert.empty() || !a.tls_server_name.empty();
    return a;
}

std::string read_file(const char* flag, const std::string& path) {
    if (path.empty()) return {};
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (!(in && text << in.rdbuf())) usage_error(std::string(flag) + ": cannot read '" + path + "'");
    return std::move(text).str();
}

std::shared_ptr<grpc::ChannelCredentials> credentials(const Args& a) {
    if (!a.tls) return grpc::InsecureChannelCredentials();
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = read_file("--tls-ca", a.tls_ca);  // empty: grpc's default roots
    options.pem_cert_chain = read_file("--tls-cert", a.tls_cert);
    options.pem_private_key = read_file("--tls-key", a.tls_key);
    return grpc::SslCredentials(options);
}

// Two INT32 [1,16] inputs, as SCv2's tfsimple models take; --bad leaves INPUT1 short.
inference::ModelInferRequest tfsimple_request(const Args& a) {
    inference::ModelInferRequest req;
    req.set_model_name(a.model);
    for (const char* name : {"INPUT0", "INPUT1"}) {
        auto* in = req.add_inputs();
        in->set_name(name);
        in->set_datatype("INT32");
        in->add_shape(1);
        in->add_shape(16);
        const int n = a.bad && std::string_view(name) == "INPUT1" ? 3 : 16;
        if (a.raw) {
            std::string bytes;
            for (std::int32_t v = 0; v < n; ++v)  // little-endian, as the protocol's raw data is
                for (int b = 0; b < 4; ++b) bytes.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
            req.add_raw_input_contents(std::move(bytes));
        } else {
            for (int v = 0; v < n; ++v) in->mutable_contents()->add_int_contents(v);
        }
    }
    return req;
}

const char* code_name(grpc::StatusCode code) {
    switch (code) {
    case grpc::OK: return "OK";
    case grpc::CANCELLED: return "CANCELLED";
    case grpc::UNKNOWN: return "UNKNOWN";
    case grpc::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::NOT_FOUND: return "NOT_FOUND";
    case grpc::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::ABORTED: return "ABORTED";
    case grpc::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::INTERNAL: return "INTERNAL";
    case grpc::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::DATA_LOSS: return "DATA_LOSS";
    case grpc::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN_CODE";
    }
}

}  // namespace

int main(int argc, char** argv) {
    const Args a = parse(argc, argv);
    grpc::ChannelArguments channel_args;
    channel_args.SetMaxReceiveMessageSize(-1);
    if (!a.tls_server_name.empty()) channel_args.SetSslTargetNameOverride(a.tls_server_name);
    const auto channel = grpc::CreateCustomChannel(a.target, credentials(a), channel_args);
    const auto stub = inference::GRPCInferenceService::NewStub(channel);
    const inference::ModelInferRequest req = tfsimple_request(a);

    std::map<std::string, long> counts;
    bool failure_reported = false;
    for (long i = 0; i < a.calls; ++i) {
        grpc::ClientContext ctx;
        for (const auto& [k, v] : a.metadata) ctx.AddMetadata(k, v);
        if (a.timeout_ms > 0)
            ctx.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::milliseconds(a.timeout_ms));
        inference::ModelInferResponse res;
        const grpc::Status status = stub->ModelInfer(&ctx, req, &res);
        if (!status.ok() && !failure_reported) {
            failure_reported = true;
            std::cerr << "grpc_probe: " << code_name(status.error_code()) << ": " << status.error_message() << '\n';
        }
        ++counts[code_name(status.error_code())];
        // A call answered OK without the echo is a broken server, not a success.
        if (status.ok() && (res.model_name() != a.model || res.outputs_size() == 0))
            ++counts["BAD_RESPONSE"];
    }
    for (const auto& [name, n] : counts) std::cout << name << ' ' << n << '\n';
    return 0;
}
