#pragma once
// A worker's HTTP/2 connections to one endpoint: up to `size` shared connections, opened when
// first needed, each carrying as many streams as its server allows. A request takes the open
// connection with the fewest streams, or waits (in order of arrival) for a stream on the one
// with the fewest waiters. A connection that fails or drains (GOAWAY, stream ids used up) is
// replaced by a fresh one for new work while its own streams finish.
#include <memory>
#include <string>
#include <vector>

#include "inferload/http2/connection.hpp"
#include "inferload/runtime/task.hpp"

namespace inferload::http2 {

class ConnectionPool {
 public:
  // `owner`: the VU a pool of its own belongs to (a per-iteration connection); its connections'
  // connect timers, its waits and close() carry it, so that a hard stop of that VU alone
  // (runtime::TimerQueue::fire_interrupted_if) ends them. A worker's shared pool keeps 0.
  ConnectionPool(runtime::Reactor& reactor, const ConnectionSettings& settings, const net::ResolvedEndpoint& endpoint,
                 std::string authority, std::size_t size, metrics::ByteCounts* bytes, std::uint32_t owner = 0);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  struct Acquired {
    Connection* connection = nullptr;  // set when result is ready: open a stream on it now
    Connection::WaitResult result = Connection::WaitResult::ready;
    ConnectionEnd end;  // result gone: why no connection could be had
  };
  // A connection on which a stream may be opened at once, or why there is none by `deadline`.
  // `owner` is the VU asking (0: the pool's own owner): a hard stop of it alone ends the wait
  // as interrupted, and the connection keeps opening for the others.
  runtime::Task<Acquired> acquire(Nanos deadline, std::uint32_t owner = 0);

  // Opens every connection of the pool and waits, until `deadline` at most, for each to be open
  // or to have failed (a failure is the requests' to report, not this call's).
  runtime::Task<void> open(Nanos deadline);
  // Drains every connection (open streams finish first) and waits, until `deadline` at most,
  // for their last frames to be written and their sockets closed.
  runtime::Task<void> close(Nanos deadline);

  // Connections over TLS, each slot's through a connector of its own, so that a replacement
  // resumes the session of the connection it replaces. Before the first use.
  void use_tls(const tls::Peer& peer);
  // The same, every connection through `connector` (which must outlive the pool): a VU's, so
  // that its per-iteration pools resume each other's sessions.
  void use_tls(tls::Connector& connector) noexcept { shared_tls_ = &connector; }

  std::size_t size() const noexcept { return slots_.size(); }
  // The connectors of use_tls(peer), for their handshake counts (none otherwise).
  const std::vector<std::unique_ptr<tls::Connector>>& own_tls() const noexcept { return own_tls_; }
  std::uint64_t connections_opened() const noexcept { return opened_; }

 private:
  static void on_turn_end(void* self) noexcept;
  Connection& replace(std::size_t slot, Nanos deadline);

  runtime::Reactor& reactor_;
  ConnectionSettings settings_;
  const net::ResolvedEndpoint& endpoint_;
  std::string authority_;
  metrics::ByteCounts* bytes_;
  std::uint32_t owner_;
  // Before the connections, which they must outlive.
  std::vector<std::unique_ptr<tls::Connector>> own_tls_;  // per slot, with use_tls(peer)
  tls::Connector* shared_tls_ = nullptr;
  std::vector<std::unique_ptr<Connection>> slots_;
  // Replaced connections whose streams are finishing. Destroyed at a turn's end, never from
  // inside their own event handling.
  std::vector<std::unique_ptr<Connection>> retiring_;
  runtime::TurnHook gc_hook_;
  std::uint64_t opened_ = 0;
};

}  // namespace inferload::http2
