#pragma once
// SCv2's scheduler API (seldon.mlops.scheduler.Scheduler) and the scheduler proxy
// (seldon.mlops.proxy.SchedulerProxy) on one grpc++ port, backed by the registry.

#include <memory>
#include <string>

#include "registry.hpp"
#include "scheduler_calls.hpp"

namespace grpc {
class Server;
}

namespace scv2sim {

class SchedulerServer {
public:
    // Binds and starts serving at once, so the caller can print the port; throws
    // std::runtime_error with a one-line reason if the port cannot be bound.
    SchedulerServer(const std::string& address, Registry& registry, SchedulerCalls& calls);
    ~SchedulerServer();
    SchedulerServer(const SchedulerServer&) = delete;
    SchedulerServer& operator=(const SchedulerServer&) = delete;

    int port() const { return port_; }
    void shutdown();  // idempotent

private:
    class Scheduler;
    class Proxy;
    std::unique_ptr<Scheduler> scheduler_;
    std::unique_ptr<Proxy> proxy_;
    std::unique_ptr<grpc::Server> server_;
    int port_ = 0;
};

}  // namespace scv2sim
