#pragma once
// Accepts TCP connections and starts a Session for each.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include <atomic>
#include <cstdint>
#include <memory>

#include "session.hpp"

namespace scv2sim {

class Listener : public std::enable_shared_from_this<Listener> {
public:
    // Binds and listens at once (throws boost::system::system_error on failure), so the caller
    // can print the bound port before any connection is accepted.
    Listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
             const ServerConfig& config, bool strand_per_session);
    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    void start() { accept(); }

private:
    void accept();
    void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer backoff_;
    const ServerConfig& config_;
    const bool strand_per_session_;
    std::uint64_t next_conn_id_ = 0;  // only touched by the accept chain, which never overlaps
};

}  // namespace scv2sim
