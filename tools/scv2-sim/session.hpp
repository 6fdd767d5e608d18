#pragma once
// One HTTP/1.1 connection: read a request, answer it (after the simulated latency), repeat.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "latency.hpp"
#include "registry.hpp"
#include "routes.hpp"
#include "stats.hpp"
#include "v2_infer.hpp"

namespace scv2sim {

// Read-only after start-up, shared by all sessions on all threads.
struct ServerConfig {
    LatencyModel latency;
    double error_rate = 0.0;
    std::uint64_t max_requests_per_conn = 0;
    bool chunked = false;
    std::string id_prefix;  // makes response ids unique across simulator runs too
    Stats* stats = nullptr;
    const Registry* registry = nullptr;
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(boost::asio::ip::tcp::socket socket, const ServerConfig& config, std::uint64_t conn_id);
    void start();

private:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;
    using Response = boost::beast::http::response<boost::beast::http::string_body>;

    void read_header();
    void on_header(boost::beast::error_code ec, std::size_t);
    void read_body();
    void on_body(boost::beast::error_code ec, std::size_t);
    void handle();
    std::optional<Target> unserved_target() const;
    void refuse(const Target& target, Counted counted);
    void wait_then(std::chrono::nanoseconds delay, void (Session::*next)());
    void answer_infer();
    void answer_stats();
    void send(Counted counted);
    void on_write(Counted counted, boost::beast::error_code ec, std::size_t);
    void close();

    Response& start_response(boost::beast::http::status status);
    void json_body(std::string body);

    boost::asio::ip::tcp::socket socket_;
    const ServerConfig& config_;
    const std::uint64_t conn_id_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    Response res_;
    boost::asio::steady_timer timer_;
    SplitMix64 rng_;
    InferEcho echo_;
    Route route_;
    std::uint64_t responses_ = 0;
    unsigned stats_waits_ = 0;
    std::string error_;
};

}  // namespace scv2sim
