// scv2-sim: simulated Seldon Core v2 inference server (Open Inference Protocol over HTTP/1.1 and,
// with --grpc-port, gRPC, in clear or over TLS), with --scheduler-port its scheduler, and with
// --kafka a mock Kafka cluster with SCv2's model gateway on it. Built on Boost, grpc++, OpenSSL
// and librdkafka only, never on inferload's own code, so that it is an independent peer.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/system/system_error.hpp>

#include <csignal>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "grpc_server.hpp"
#include "grpc_tls.hpp"
#include "kafka_gateway.hpp"
#include "listener.hpp"
#include "options.hpp"
#include "registry.hpp"
#include "scheduler_calls.hpp"
#include "scheduler_server.hpp"
#include "stats.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Accepts "localhost" and other names as well as literal addresses; the first result wins.
tcp::endpoint resolve(asio::io_context& ioc, const std::string& host, std::uint16_t port) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (!ec) return {address, port};
    tcp::resolver resolver(ioc);
    const auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive);
    return results.begin()->endpoint();
}

std::string format_endpoint(const tcp::endpoint& ep) {
    const std::string addr = ep.address().to_string();
    const std::string port = std::to_string(ep.port());
    return ep.address().is_v6() ? "[" + addr + "]:" + port : addr + ":" + port;
}

std::string random_id_prefix() {
    std::random_device rd;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x-", static_cast<unsigned>(rd()));
    return buf;
}

}  // namespace

int main(int argc, char** argv) {
    scv2sim::Options opt;
    try {
        opt = scv2sim::parse_options(argc, argv);
    } catch (const scv2sim::UsageError& e) {
        std::cerr << "scv2-sim: " << e.what() << std::endl;
        return 2;
    }
    if (opt.help) {
        std::cout << scv2sim::usage();
        return 0;
    }
    std::optional<scv2sim::GrpcTls> grpc_tls;
    std::string kafka_namespace;
    try {
        grpc_tls = scv2sim::load_grpc_tls(opt);
        if (opt.kafka) kafka_namespace = scv2sim::kafka_namespace(std::getenv("NAMESPACE"));
    } catch (const scv2sim::UsageError& e) {
        std::cerr << "scv2-sim: " << e.what() << std::endl;
        return 2;
    }

    asio::io_context ioc(static_cast<int>(opt.threads));
    // Installed before the listener line is printed: a test may signal as soon as it reads it.
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&ioc](const boost::system::error_code&, int) { ioc.stop(); });

    // Declared before every server, so that it outlives their threads.
    scv2sim::Registry registry(opt.registry);
    scv2sim::Stats stats;
    stats.attach_registry(&registry);
    scv2sim::ServerConfig config;
    config.latency = opt.latency;
    config.error_rate = opt.error_rate;
    config.max_requests_per_conn = opt.max_requests_per_conn;
    config.chunked = opt.chunked;
    config.id_prefix = random_id_prefix();
    config.stats = &stats;
    config.registry = &registry;

    std::shared_ptr<scv2sim::Listener> listener;
    try {
        listener = std::make_shared<scv2sim::Listener>(ioc, resolve(ioc, opt.host, opt.http_port),
                                                       config, opt.threads > 1);
    } catch (const boost::system::system_error& e) {
        std::cerr << "scv2-sim: cannot listen on " << opt.host << ":" << opt.http_port << ": "
                  << e.code().message() << std::endl;
        return 1;
    }

    // Bound to the address the HTTP listener resolved, so both lines name the same host; started
    // before either line is printed, so that a parent never sees one listener of a failed start.
    scv2sim::GrpcStats grpc_stats;
    std::optional<scv2sim::GrpcServer> grpc;
    if (opt.grpc_port) {
        const tcp::endpoint http_ep = listener->local_endpoint();
        scv2sim::GrpcConfig grpc_config;
        grpc_config.address = format_endpoint({http_ep.address(), *opt.grpc_port});
        grpc_config.max_streams = opt.grpc_max_streams;
        grpc_config.tls = std::move(grpc_tls);
        grpc_config.latency = opt.latency;
        grpc_config.error_rate = opt.error_rate;
        grpc_config.stats = &grpc_stats;
        grpc_config.registry = &registry;
        stats.attach_grpc(&grpc_stats);
        try {
            grpc.emplace(grpc_config);
        } catch (const std::runtime_error& e) {
            std::cerr << "scv2-sim: --grpc-port: " << e.what() << std::endl;
            return 1;
        }
    }
    // Before the scheduler, so that every model it loads gets its topics.
    scv2sim::KafkaStats kafka_stats;
    std::optional<scv2sim::KafkaGateway> kafka;
    if (opt.kafka) {
        scv2sim::KafkaConfig kafka_config;
        kafka_config.topic_prefix = opt.kafka_topic_prefix;
        kafka_config.ns = kafka_namespace;
        kafka_config.partitions = opt.kafka_partitions;
        kafka_config.latency = opt.latency;
        kafka_config.error_rate = opt.error_rate;
        kafka_config.stats = &kafka_stats;
        kafka_config.registry = &registry;
        stats.attach_kafka(&kafka_stats);
        try {
            kafka.emplace(kafka_config);
        } catch (const std::runtime_error& e) {
            std::cerr << "scv2-sim: --kafka: " << e.what() << std::endl;
            return 1;
        }
        registry.on_load([&kafka](const scv2sim::Target& t) { kafka->create_topics(t); });
    }
    scv2sim::SchedulerCalls scheduler_calls;
    std::optional<scv2sim::SchedulerServer> scheduler;
    if (opt.scheduler_port) {
        const tcp::endpoint http_ep = listener->local_endpoint();
        stats.attach_scheduler(&scheduler_calls);
        try {
            scheduler.emplace(format_endpoint({http_ep.address(), *opt.scheduler_port}), registry,
                              scheduler_calls);
        } catch (const std::runtime_error& e) {
            std::cerr << "scv2-sim: --scheduler-port: " << e.what() << std::endl;
            return 1;
        }
    }
    listener->start();
    // std::endl flushes: the parent reads these lines through a pipe to learn the ports.
    std::cout << "http " << format_endpoint(listener->local_endpoint()) << std::endl;
    if (grpc)
        std::cout << "grpc " << format_endpoint({listener->local_endpoint().address(),
                                                 static_cast<std::uint16_t>(grpc->port())})
                  << std::endl;
    if (scheduler)
        std::cout << "scheduler "
                  << format_endpoint({listener->local_endpoint().address(),
                                      static_cast<std::uint16_t>(scheduler->port())})
                  << std::endl;
    if (kafka) std::cout << "kafka " << kafka->bootstrap() << std::endl;

    std::vector<std::thread> threads;
    threads.reserve(opt.threads - 1);
    for (unsigned i = 1; i < opt.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : threads) t.join();
    if (grpc) grpc->shutdown();
    if (scheduler) scheduler->shutdown();
    if (kafka) kafka->stop();
    return 0;
}
