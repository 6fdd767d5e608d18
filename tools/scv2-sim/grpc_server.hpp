#pragma once
// The V2 gRPC endpoint (inference.GRPCInferenceService/ModelInfer) on grpc++'s callback API.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "grpc_stats.hpp"
#include "grpc_tls.hpp"
#include "latency.hpp"
#include "registry.hpp"

namespace grpc {
class Server;
}

namespace scv2sim {

struct GrpcConfig {
    std::string address;  // HOST:PORT as grpc++ takes it, IPv6 in brackets
    std::optional<int> max_streams;  // GRPC_ARG_MAX_CONCURRENT_STREAMS; grpc's default if unset
    std::optional<GrpcTls> tls;      // h2c when unset
    LatencyModel latency;
    double error_rate = 0.0;
    GrpcStats* stats = nullptr;
    const Registry* registry = nullptr;
};

class GrpcServer {
public:
    // Binds and starts serving at once, so the caller can print the port; throws
    // std::runtime_error with a one-line reason if the port cannot be bound.
    explicit GrpcServer(const GrpcConfig& config);
    ~GrpcServer();
    GrpcServer(const GrpcServer&) = delete;
    GrpcServer& operator=(const GrpcServer&) = delete;

    int port() const { return port_; }
    // Answers calls still waiting out their latency at once and stops; idempotent.
    void shutdown();

private:
    class Service;
    std::unique_ptr<Service> service_;
    std::unique_ptr<grpc::Server> server_;
    int port_ = 0;
};

}  // namespace scv2sim
