#include "listener.hpp"

#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace scv2sim {

Listener::Listener(asio::io_context& ioc, const tcp::endpoint& endpoint, const ServerConfig& config,
                   bool strand_per_session)
    : ioc_(ioc),
      acceptor_(ioc),
      backoff_(ioc),
      config_(config),
      strand_per_session_(strand_per_session) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

void Listener::accept() {
    // With several threads on one io_context a session's handlers must not run concurrently;
    // with one thread the strand would be pure overhead.
    if (strand_per_session_)
        acceptor_.async_accept(asio::make_strand(ioc_),
                               beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
    else
        acceptor_.async_accept(ioc_,
                               beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
        // Typically EMFILE: retrying at once would spin, so give sessions a moment to close.
        backoff_.expires_after(std::chrono::milliseconds(10));
        backoff_.async_wait([self = shared_from_this()](beast::error_code) { self->accept(); });
        return;
    }
    config_.stats->connection_accepted();
    std::make_shared<Session>(std::move(socket), config_, ++next_conn_id_)->start();
    accept();
}

}  // namespace scv2sim
