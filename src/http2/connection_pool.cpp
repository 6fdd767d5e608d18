#include "inferload/http2/connection_pool.hpp"

#include <algorithm>

namespace inferload::http2 {

ConnectionPool::ConnectionPool(runtime::Reactor& reactor, const ConnectionSettings& settings,
                               const net::ResolvedEndpoint& endpoint, std::string authority, std::size_t size,
                               metrics::ByteCounts* bytes, std::uint32_t owner)
    : reactor_(reactor),
      settings_(settings),
      endpoint_(endpoint),
      authority_(std::move(authority)),
      bytes_(bytes),
      owner_(owner),
      slots_(std::max<std::size_t>(size, 1)),
      gc_hook_(&ConnectionPool::on_turn_end, this) {}

ConnectionPool::~ConnectionPool() = default;

void ConnectionPool::use_tls(const tls::Peer& peer) {
  own_tls_.clear();
  for (std::size_t i = 0; i < slots_.size(); ++i) own_tls_.push_back(std::make_unique<tls::Connector>(peer));
}

void ConnectionPool::on_turn_end(void* self) noexcept {
  auto* p = static_cast<ConnectionPool*>(self);
  auto done = [](const std::unique_ptr<Connection>& c) { return c->finished(); };
  std::erase_if(p->retiring_, done);
  if (!p->retiring_.empty()) p->reactor_.at_turn_end(p->gc_hook_);
}

Connection& ConnectionPool::replace(std::size_t slot, Nanos deadline) {
  if (slots_[slot]) {
    slots_[slot]->drain();
    retiring_.push_back(std::move(slots_[slot]));
    reactor_.at_turn_end(gc_hook_);
  }
  slots_[slot] = std::make_unique<Connection>(reactor_, settings_, authority_, bytes_);
  slots_[slot]->set_owner(owner_);
  if (shared_tls_) slots_[slot]->set_tls(shared_tls_);
  else if (!own_tls_.empty()) slots_[slot]->set_tls(own_tls_[slot].get());
  ++opened_;
  slots_[slot]->connect(endpoint_, deadline);
  return *slots_[slot];
}

runtime::Task<ConnectionPool::Acquired> ConnectionPool::acquire(Nanos deadline, std::uint32_t owner) {
  if (owner == 0) owner = owner_;
  // A connection that drains as we wait sends us round again; one that never opened is the
  // request's failure (refused, unreachable, out of sockets), which is not retried.
  for (int round = 0;; ++round) {
    Connection* best = nullptr;
    for (auto& c : slots_) {
      if (c && c->can_open() && (!best || c->active_streams() < best->active_streams())) best = c.get();
    }
    if (best) co_return Acquired{best, Connection::WaitResult::ready, {}};
    for (std::size_t i = 0; i < slots_.size() && !best; ++i) {
      if (!slots_[i] || !slots_[i]->usable()) best = &replace(i, deadline);
    }
    if (!best) {
      for (auto& c : slots_) {
        if (!best || c->waiters() + c->active_streams() < best->waiters() + best->active_streams()) best = c.get();
      }
    }
    if (!best->usable()) co_return Acquired{nullptr, Connection::WaitResult::gone, best->end()};
    const Connection::WaitResult r = co_await best->wait_for_stream(deadline, owner);
    if (r == Connection::WaitResult::ready) co_return Acquired{best, r, {}};
    if (r != Connection::WaitResult::gone) co_return Acquired{nullptr, r, {}};
    const ConnectionEnd end = best->end();
    // A hard stop that ended the connection (a VU's own, or every timer of the worker) is the
    // waiter's interruption, whichever of the two timers happened to fire first.
    if (end.failure == net::Failure::interrupted) co_return Acquired{nullptr, Connection::WaitResult::interrupted, end};
    if ((end.before_open && end.failure != net::Failure::none) || round >= 8) {
      ConnectionEnd e = end;
      if (e.failure == net::Failure::none) e.failure = net::Failure::closed;
      co_return Acquired{nullptr, r, e};
    }
  }
}

runtime::Task<void> ConnectionPool::open(Nanos deadline) {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i] || !slots_[i]->usable()) replace(i, deadline);
  }
  auto settled = [this] {
    for (const auto& c : slots_) {
      if (c->state() == Connection::State::connecting || c->state() == Connection::State::handshaking) return false;
    }
    return true;
  };
  // Polled, since it happens once per worker and run.
  while (!settled() && runtime::now_ns() < deadline) {
    if (co_await runtime::sleep_until(reactor_, runtime::now_ns() + runtime::kMillisecond, owner_) ==
        runtime::FireReason::interrupted) {
      break;
    }
  }
}

runtime::Task<void> ConnectionPool::close(Nanos deadline) {
  for (auto& c : slots_) {
    if (c) c->drain();
  }
  auto all_finished = [this] {
    for (const auto& c : slots_) {
      if (c && !c->finished() && c->state() != Connection::State::idle) return false;
    }
    for (const auto& c : retiring_) {
      if (!c->finished()) return false;
    }
    return true;
  };
  // A few milliseconds at most on loopback; polled, since it happens once per worker and run.
  while (!all_finished() && runtime::now_ns() < deadline) {
    if (co_await runtime::sleep_until(reactor_, runtime::now_ns() + runtime::kMillisecond, owner_) ==
        runtime::FireReason::interrupted) {
      break;
    }
  }
}

}  // namespace inferload::http2
