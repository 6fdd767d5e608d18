#pragma once
// Command line of scv2-sim.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "latency.hpp"
#include "registry_config.hpp"

namespace scv2sim {

struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t http_port = 0;
    bool http_port_given = false;
    std::optional<std::uint16_t> grpc_port;  // no gRPC server unless given
    std::optional<int> grpc_max_streams;     // grpc's default unless given
    // PEM files: with a certificate and key the gRPC listener serves TLS, with a client CA it
    // also requires a client certificate that CA signed. Empty: not given.
    std::string grpc_tls_cert;
    std::string grpc_tls_key;
    std::string grpc_tls_client_ca;
    std::optional<std::uint16_t> scheduler_port;  // no scheduler unless given
    bool kafka = false;  // no mock Kafka cluster unless given
    std::string kafka_topic_prefix = "seldon";
    int kafka_partitions = 1;
    RegistryConfig registry;
    LatencyModel latency;
    double error_rate = 0.0;
    unsigned threads = 1;
    std::uint64_t max_requests_per_conn = 0;  // 0 = unlimited
    bool chunked = false;
    bool help = false;
};

// Thrown for a bad command line; what() is one line that names the flag at fault.
class UsageError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

Options parse_options(int argc, const char* const* argv);
// The SCv2 namespace in Kafka topic names: the NAMESPACE variable's value (`value`, null when
// unset), "default" when unset or empty.
std::string kafka_namespace(const char* value);
const char* usage();

}  // namespace scv2sim
