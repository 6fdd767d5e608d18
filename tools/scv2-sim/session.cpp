#include "session.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <exception>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace scv2sim {
namespace {

constexpr std::uint64_t body_limit = 64ull * 1024 * 1024;
constexpr unsigned max_stats_waits = 20;  // x 1 ms: bounded even under endless load

std::uint64_t session_seed(std::uint64_t conn_id) {
    // Distinct per connection and per run; quality is not a concern for a simulated coin flip.
    static const std::uint64_t run_seed =
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return run_seed ^ (conn_id * 0x9e3779b97f4a7c15ULL);
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, const ServerConfig& config, std::uint64_t conn_id)
    : socket_(std::move(socket)),
      config_(config),
      conn_id_(conn_id),
      timer_(socket_.get_executor()),
      rng_(session_seed(conn_id)) {}

void Session::start() {
    beast::error_code ignored;
    // Responses are written in one go; Nagle would only hold back the last segment.
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    read_header();
}

// The header is read first so that "Expect: 100-continue" (curl, for large bodies) is answered
// instead of leaving the client to wait out its timeout.
void Session::read_header() {
    parser_.emplace();
    parser_->body_limit(body_limit);
    http::async_read_header(socket_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
}

void Session::on_header(beast::error_code ec, std::size_t) {
    if (ec) return close();  // EOF, reset, or garbage: nothing to answer
    if (parser_->is_done()) return handle();
    const auto& req = parser_->get();
    if (req.version() >= 11 && beast::iequals(req[http::field::expect], "100-continue")) {
        static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
        asio::async_write(socket_, asio::buffer(continue_line.data(), continue_line.size()),
                          [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                              if (write_ec) return self->close();
                              self->read_body();
                          });
        return;
    }
    read_body();
}

void Session::read_body() {
    http::async_read(socket_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_body, shared_from_this()));
}

void Session::on_body(beast::error_code ec, std::size_t) {
    if (ec) return close();
    handle();
}

void Session::handle() {
    const Request& req = parser_->get();
    route_ = route(req.method(), req.target());
    switch (route_.endpoint) {
    case Endpoint::infer:
        // Refused at once, as envoy refuses a request it has no route for.
        if (const auto target = unserved_target()) return refuse(*target, Counted::not_found);
        return wait_then(config_.latency.sample(rng_), &Session::answer_infer);
    case Endpoint::model_ready:
    case Endpoint::pipeline_ready:
        if (const auto target = unserved_target()) return refuse(*target, Counted::other);
        start_response(http::status::ok);
        return send(Counted::ready);
    case Endpoint::health_ready:
        start_response(http::status::ok);
        return send(Counted::ready);
    case Endpoint::health_live:
        start_response(http::status::ok);
        return send(Counted::other);
    case Endpoint::stats:
        stats_waits_ = 0;
        return answer_stats();
    case Endpoint::models:
        start_response(http::status::ok);
        json_body(config_.registry->to_json());
        return send(Counted::other);
    case Endpoint::reset:
        config_.stats->reset();
        start_response(http::status::ok);
        // Not counted: after a reset every counter reads 0 until the next request completes.
        return send(Counted::nothing);
    case Endpoint::not_found:
        break;
    }
    start_response(http::status::not_found);
    json_body(error_body("no route for " + std::string(http::to_string(req.method())) + " " +
                         std::string(req.target())));
    send(Counted::other);
}

// The target as envoy routes it: by the seldon-model header when there is one, else by the path.
std::optional<Target> Session::unserved_target() const {
    if (!config_.registry || !config_.registry->filters()) return std::nullopt;
    const Request& req = parser_->get();
    Target target{route_.endpoint == Endpoint::pipeline_ready ? Target::Kind::pipeline
                                                              : Target::Kind::model,
                  route_.model};
    if (const auto header = req.find("seldon-model"); header != req.end())
        target = parse_seldon_model(header->value());
    if (config_.registry->serves(target)) return std::nullopt;
    return target;
}

void Session::refuse(const Target& target, Counted counted) {
    start_response(http::status::not_found);
    json_body(error_body(not_served_reason(target)));
    send(counted);
}

void Session::wait_then(std::chrono::nanoseconds delay, void (Session::*next)()) {
    if (delay.count() <= 0) return (this->*next)();
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this(), next](beast::error_code ec) {
        if (ec) return self->close();
        ((*self).*next)();
    });
}

void Session::answer_infer() {
    const Request& req = parser_->get();
    const auto header = [&](std::string_view name) -> std::string_view {
        const auto it = req.find(name);
        return it == req.end() ? std::string_view() : std::string_view(it->value());
    };
    config_.stats->rest_infer_headers(header("seldon-model"), header("x-request-id"));
    std::string id = config_.id_prefix;
    id += std::to_string(conn_id_);
    id += '-';
    id += std::to_string(responses_ + 1);

    Counted counted = Counted::infer_ok;
    std::string body;
    bool ok = false;
    try {
        ok = echo_.answer(req.body(), route_.model, id, body, error_);
    } catch (const std::exception& e) {  // e.g. bad_alloc on an absurd request: still answer
        error_ = e.what();
    }
    if (!ok) {
        start_response(http::status::bad_request);
        json_body(error_body(error_));
        counted = Counted::infer_bad_request;
    } else if (config_.error_rate > 0 && rng_.unit() < config_.error_rate) {
        start_response(http::status::internal_server_error);
        json_body(error_body("simulated error"));
        counted = Counted::infer_error;
    } else {
        start_response(http::status::ok);
        json_body(std::move(body));
    }
    // Chunked framing does not exist in HTTP/1.0. chunked(true) also drops Content-Length.
    if (config_.chunked && req.version() >= 11) res_.chunked(true);
    send(counted);
}

void Session::answer_stats() {
    if (config_.stats->writes_in_flight() > 0 && stats_waits_ < max_stats_waits) {
        ++stats_waits_;
        return wait_then(std::chrono::milliseconds(1), &Session::answer_stats);
    }
    start_response(http::status::ok);
    json_body(config_.stats->to_json());
    send(Counted::other);
}

Session::Response& Session::start_response(http::status status) {
    const Request& req = parser_->get();
    res_ = Response(status, req.version());
    res_.set(http::field::server, "scv2-sim");
    bool keep_alive = req.keep_alive();
    if (config_.max_requests_per_conn != 0 && responses_ + 1 >= config_.max_requests_per_conn)
        keep_alive = false;
    res_.keep_alive(keep_alive);
    res_.content_length(0);
    return res_;
}

void Session::json_body(std::string body) {
    res_.set(http::field::content_type, "application/json");
    res_.body() = std::move(body);
    res_.prepare_payload();
}

void Session::send(Counted counted) {
    config_.stats->write_started();
    http::async_write(socket_, res_,
                      beast::bind_front_handler(&Session::on_write, shared_from_this(), counted));
}

void Session::on_write(Counted counted, beast::error_code ec, std::size_t) {
    if (!ec) config_.stats->response_written(counted);
    config_.stats->write_finished();
    if (ec) return close();
    ++responses_;
    if (res_.need_eof()) {
        beast::error_code ignored;
        // FIN after the last response, so the client reads a clean end of stream.
        socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        return close();
    }
    read_header();
}

void Session::close() {
    beast::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
}

}  // namespace scv2sim
