// The HTTP/2 client connection and its pool against a scripted server on loopback: many calls
// multiplexed on one connection, GOAWAY and stream-id exhaustion moving new work to fresh
// connections with every call accounted for, grpc-status deciding the result; and the stream
// table and end-of-turn hooks it is built on.
#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "h2_responder.hpp"
#include "inferload/grpc/call.hpp"
#include "inferload/http2/connection_pool.hpp"
#include "inferload/http2/stream_table.hpp"
#include "inferload/runtime/backend.hpp"
#include "inferload/runtime/worker.hpp"
#include "inferload/scv2/grpc_targets.hpp"
#include "uring_probe.hpp"

namespace inferload {
namespace {

struct Request {
  std::string block;
  std::string body;
  grpc::RequestBytes bytes() const {
    grpc::RequestBytes r;
    r.header_block = block;
    r.body[0] = {body.data(), body.size()};
    r.body_pieces = 1;
    return r;
  }
};

Request make_request(std::size_t body_size = 20) {
  Request r;
  auto enc = scv2::make_stateless_encoder();
  const http2::Header h[] = {{":method", "POST"}, {":scheme", "http"}, {":path", "/x/y"},
                             {":authority", "t"}, {"content-type", "application/grpc"}, {"te", "trailers"}};
  enc->encode(h, 6, r.block);
  r.body.assign(grpc::kMessagePrefixSize, '\0');
  grpc::encode_message_prefix(static_cast<std::uint32_t>(body_size), false, r.body.data());
  r.body.append(body_size, 'x');
  return r;
}

struct Tally {
  std::map<grpc::StatusCode, int> statuses;
  std::map<grpc::CallFailure, int> failures;
  int calls = 0;
};

runtime::Task<void> caller(http2::ConnectionPool& pool, const grpc::RequestBytes& req, int calls, Tally& t) {
  grpc::MessageReader reader;
  for (int i = 0; i < calls; ++i) {
    const runtime::Nanos deadline = runtime::now_ns() + 10 * runtime::kSecond;
    const auto a = co_await pool.acquire(deadline);
    grpc::CallResult r;
    if (a.connection) {
      r = co_await grpc::unary_call(*a.connection, req, reader, deadline);
    } else {
      r.failure = grpc::CallFailure::transport;
      r.status = grpc::StatusCode::unavailable;
    }
    ++t.calls;
    ++t.statuses[r.status];
    ++t.failures[r.failure];
  }
}

class Http2Connection : public ::testing::TestWithParam<runtime::IoBackend> {
 protected:
  Tally run(test::H2Responder& server, int vus, int calls_each, http2::ConnectionSettings settings = {},
            std::size_t pool_size = 1, std::uint64_t* opened = nullptr, std::size_t body = 20,
            std::size_t header_list_size = 0) {
    const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", server.port());
    auto reactor = runtime::make_reactor(runtime::choose_backend(GetParam()));
    metrics::ByteCounts bytes;
    Tally t;
    const Request req = make_request(body);
    grpc::RequestBytes rb = req.bytes();
    rb.header_list_size = header_list_size;
    {
      http2::ConnectionPool pool(*reactor, settings, ep, "t", pool_size, &bytes);
      for (int v = 0; v < vus; ++v) reactor->spawn(caller(pool, rb, calls_each, t));
      reactor->run();
      if (opened) *opened = pool.connections_opened();
    }
    EXPECT_GT(bytes.sent, 0u);
    EXPECT_GT(bytes.received, 0u);
    return t;
  }
};

TEST_P(Http2Connection, ManyCallsMultiplexOnOneConnection) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  test::H2Responder server;
  std::uint64_t opened = 0;
  const Tally t = run(server, 50, 40, {}, 1, &opened);
  EXPECT_EQ(t.calls, 2000);
  EXPECT_EQ(t.statuses.at(grpc::StatusCode::ok), 2000);
  EXPECT_EQ(server.answered(), 2000);
  EXPECT_EQ(opened, 1u);
  EXPECT_EQ(server.connections(), 1);
}

TEST_P(Http2Connection, AServerWithoutALimitGetsOurCapOfStreams) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  test::H2Responder server({.max_concurrent_streams = test::kUnannounced});
  const Tally t = run(server, 1500, 2);
  EXPECT_EQ(t.statuses.at(grpc::StatusCode::ok), 3000);
  EXPECT_EQ(server.answered(), 3000);
}

TEST_P(Http2Connection, StreamLimitMakesCallsWaitNotFail) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  test::H2Responder server({.max_concurrent_streams = 2});
  const Tally t = run(server, 30, 20);
  EXPECT_EQ(t.statuses.at(grpc::StatusCode::ok), 600);
  EXPECT_EQ(server.answered(), 600);
}

TEST_P(Http2Connection, GoawayMovesNewWorkToAFreshConnection) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  test::H2Responder server({.goaway_after = 37});
  std::uint64_t opened = 0;
  const Tally t = run(server, 8, 50, {}, 1, &opened);
  EXPECT_EQ(t.calls, 400);
  // Calls the server never took end as refused (UNAVAILABLE); nothing is retried.
  const int ok = t.statuses.count(grpc::StatusCode::ok) ? t.statuses.at(grpc::StatusCode::ok) : 0;
  EXPECT_EQ(ok, server.answered());
  EXPECT_EQ(ok + (t.statuses.count(grpc::StatusCode::unavailable) ? t.statuses.at(grpc::StatusCode::unavailable) : 0),
            400);
  EXPECT_GT(opened, 5u);
  EXPECT_EQ(static_cast<int>(opened), server.connections());
}

TEST_P(Http2Connection, StreamIdExhaustionDrainsAndReconnects) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  test::H2Responder server;
  http2::ConnectionSettings s;
  s.last_stream_id = 21;  // 11 streams per connection
  std::uint64_t opened = 0;
  const Tally t = run(server, 4, 55, s, 1, &opened);
  EXPECT_EQ(t.statuses.at(grpc::StatusCode::ok), 220);
  EXPECT_EQ(opened, 20u);
}

TEST_P(Http2Connection, GrpcStatusDecidesTheResult) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  test::H2Responder server({.grpc_status = "13"});
  const Tally t = run(server, 2, 10);
  EXPECT_EQ(t.statuses.at(grpc::StatusCode::internal), 20);
  EXPECT_EQ(t.failures.at(grpc::CallFailure::none), 20);  // an answer, not a transport failure
}

TEST_P(Http2Connection, LargeBodiesGoOutAsTheWindowsAllow) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  test::H2Responder server;
  const Tally t = run(server, 3, 4, {}, 1, nullptr, 700 * 1000);
  EXPECT_EQ(t.statuses.at(grpc::StatusCode::ok), 12);
}

TEST_P(Http2Connection, RequestsAboveTheServersHeaderListLimitAreNotSent) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  test::H2Responder server({.max_header_list_size = 300});
  const Tally small = run(server, 2, 5, {}, 1, nullptr, 20, 200);
  EXPECT_EQ(small.statuses.at(grpc::StatusCode::ok), 10);
  const Tally large = run(server, 2, 5, {}, 1, nullptr, 20, 301);
  EXPECT_EQ(large.failures.at(grpc::CallFailure::protocol), 10);
  EXPECT_EQ(server.answered(), 10);
}

TEST_P(Http2Connection, UnreachableServerFailsEachCallOnce) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", test::unused_port());
  auto reactor = runtime::make_reactor(runtime::choose_backend(GetParam()));
  metrics::ByteCounts bytes;
  Tally t;
  const Request req = make_request();
  const grpc::RequestBytes rb = req.bytes();
  {
    http2::ConnectionPool pool(*reactor, {}, ep, "t", 2, &bytes);
    for (int v = 0; v < 5; ++v) reactor->spawn(caller(pool, rb, 3, t));
    reactor->run();
  }
  EXPECT_EQ(t.calls, 15);
  EXPECT_EQ(t.statuses.at(grpc::StatusCode::unavailable), 15);
}

// A server that holds every request until release(), noting the RST_STREAMs it gets; once
// released it answers what it holds (reset streams excepted) and every later request at once.
// `settings = false`: it never sends its SETTINGS, so the client's handshake never ends.
class StallingServer {
 public:
  explicit StallingServer(std::uint32_t max_streams = 100, bool settings = true)
      : max_streams_(max_streams), settings_(settings) {
    fd_ = test::bind_loopback(port_, 16);
    thread_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        serve(c);
        ::close(c);
      }
    });
  }
  ~StallingServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  void release() { released_ = true; }
  int requests() const { return requests_.load(); }
  int answered() const { return answered_.load(); }
  int connections() const { return connections_.load(); }
  int closed_by_client() const { return closed_.load(); }
  std::set<std::uint32_t> resets() const {
    std::lock_guard lock(mutex_);
    return resets_;
  }
  std::vector<std::uint32_t> request_ids() const {
    std::lock_guard lock(mutex_);
    return request_ids_;
  }

 private:
  void serve(int c) {
    using namespace http2;
    ++connections_;
    std::string out;
    if (settings_) {
      const Setting s[] = {{SettingId::initial_window_size, 1u << 20}, {SettingId::max_concurrent_streams, max_streams_}};
      append_settings(out, s);
      append_window_update(out, 0, 16u << 20);
    }
    HpackEncoder enc;
    std::string headers, trailers;
    const Header h[] = {{":status", "200"}, {"content-type", "application/grpc"}};
    enc.encode(h, 2, headers);
    const Header t[] = {{"grpc-status", "0"}};
    enc.encode(t, 1, trailers);
    const std::string message("\0\0\0\0\x04\x0a\x02m0", 9);
    FrameReader reader(kDefaultMaxFrameSize);
    char buf[65536];
    std::string preface;
    std::vector<std::uint32_t> held;
    while (!stop_) {
      if (released_) {
        for (std::uint32_t id : held) {
          if (resets().contains(id)) continue;
          append_headers(out, id, headers, false, true);
          append_data(out, id, message, false);
          append_headers(out, id, trailers, true, true);
          ++answered_;
        }
        held.clear();
      }
      if (!out.empty()) {
        if (::send(c, out.data(), out.size(), MSG_NOSIGNAL) < 0) return;
        out.clear();
      }
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 5) <= 0) continue;
      const ssize_t n = ::recv(c, buf, sizeof(buf), 0);
      if (n <= 0) {
        ++closed_;
        return;
      }
      std::size_t skip = 0;
      if (preface.size() < kClientPreface.size()) {
        skip = std::min(kClientPreface.size() - preface.size(), static_cast<std::size_t>(n));
        preface.append(buf, skip);
      }
      reader.feed(buf + skip, static_cast<std::size_t>(n) - skip);
      Frame f;
      for (ReadStatus st; (st = reader.next(f)) != ReadStatus::need_more;) {
        if (st != ReadStatus::frame) return;
        const FrameType type = f.header.type;
        if (type == FrameType::settings && !f.header.has(flags::ack)) append_settings_ack(out);
        if (type == FrameType::ping && !f.header.has(flags::ack)) append_ping(out, ping_opaque(f.payload), true);
        if (type == FrameType::rst_stream) {
          std::lock_guard lock(mutex_);
          resets_.insert(f.header.stream_id);
        }
        const bool ends = (type == FrameType::data || type == FrameType::headers) && f.header.has(flags::end_stream);
        if (!ends) continue;
        {
          std::lock_guard lock(mutex_);
          request_ids_.push_back(f.header.stream_id);
        }
        held.push_back(f.header.stream_id);
        ++requests_;
      }
    }
  }

  std::uint32_t max_streams_;
  bool settings_;
  int fd_;
  std::uint16_t port_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> released_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> answered_{0};
  std::atomic<int> connections_{0};
  std::atomic<int> closed_{0};
  mutable std::mutex mutex_;
  std::set<std::uint32_t> resets_;
  std::vector<std::uint32_t> request_ids_;
  std::thread thread_;
};

bool owner_in(void* ctx, std::uint32_t owner) noexcept {
  return static_cast<const std::set<std::uint32_t>*>(ctx)->contains(owner);
}

template <typename Pred>
bool wait_until(Pred done) {
  for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return done();
}

// What one VU's call came to, written on the worker's thread and read after join().
struct VuOutcome {
  http2::Connection::WaitResult acquired = http2::Connection::WaitResult::gone;
  grpc::CallResult call;
  std::uint32_t stream_id = 0;
  int finished_order = 0;
};

// VU `owner`: one acquire and one call, both carrying the owner, on a pool shared with the rest.
runtime::Task<void> vu_call(http2::ConnectionPool& pool, const grpc::RequestBytes& req, std::uint32_t owner,
                            VuOutcome& out, int& finished, http2::Connection*& seen) {
  grpc::MessageReader reader;
  const runtime::Nanos deadline = runtime::now_ns() + 20 * runtime::kSecond;
  const auto a = co_await pool.acquire(deadline, owner);
  out.acquired = a.result;
  if (a.connection) {
    seen = a.connection;
    grpc::UnaryCall call(*a.connection, req, reader, deadline, owner);
    out.call = co_await call;
  } else {
    out.call.failure = a.result == http2::Connection::WaitResult::interrupted ? grpc::CallFailure::interrupted
                                                                              : grpc::CallFailure::transport;
  }
  out.finished_order = ++finished;
}

// Keeps the worker running until `vus` calls have finished, then closes and destroys the pools
// on the worker's thread, as their connections require.
runtime::Task<void> settle(runtime::Reactor& r, const int& finished, int vus, http2::Connection* const& seen,
                           bool& usable_at_end, std::vector<std::unique_ptr<http2::ConnectionPool>*> pools) {
  while (finished < vus) co_await runtime::sleep_until(r, runtime::now_ns() + runtime::kMillisecond);
  usable_at_end = seen && seen->usable();
  for (auto* p : pools) {
    co_await (*p)->close(runtime::now_ns() + runtime::kSecond);
    p->reset();
  }
}



TEST_P(Http2Connection, InterruptingChosenVusResetsOnlyTheirStreams) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  StallingServer server;
  const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", server.port());
  const Request req = make_request();
  const grpc::RequestBytes rb = req.bytes();
  metrics::ByteCounts bytes;
  std::unique_ptr<http2::ConnectionPool> pool;
  std::vector<VuOutcome> out(11);
  int finished = 0;
  http2::Connection* seen = nullptr;
  runtime::Reactor* reactor = nullptr;
  bool connection_usable = false;
  std::set<std::uint32_t> stop{3, 7};
  runtime::Worker w(0, -1, runtime::choose_backend(GetParam()), [&](runtime::Reactor& r) {
    reactor = &r;
    pool = std::make_unique<http2::ConnectionPool>(r, http2::ConnectionSettings{}, ep, "t", 1, &bytes);
    for (std::uint32_t v = 1; v <= 10; ++v) r.spawn(vu_call(*pool, rb, v, out[v], finished, seen));
    r.spawn(settle(r, finished, 10, seen, connection_usable, {&pool}));
  });
  ASSERT_TRUE(wait_until([&] { return server.requests() == 10; })) << server.requests();
  w.post([&] { reactor->timers().fire_interrupted_if(&owner_in, &stop); });
  ASSERT_TRUE(wait_until([&] { return server.resets().size() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // no further reset follows
  server.release();
  ASSERT_TRUE(wait_until([&] { return server.answered() == 8; }));
  w.join();
  ASSERT_TRUE(w.error().empty()) << w.error();
  EXPECT_TRUE(connection_usable);
  std::set<std::uint32_t> interrupted_ids;
  for (std::uint32_t v = 1; v <= 10; ++v) {
    const VuOutcome& o = out[v];
    EXPECT_EQ(o.acquired, http2::Connection::WaitResult::ready) << v;
    if (stop.contains(v)) {
      EXPECT_EQ(o.call.failure, grpc::CallFailure::interrupted) << v;
      EXPECT_EQ(o.call.status, grpc::StatusCode::cancelled) << v;
      EXPECT_LE(o.finished_order, 2) << v;
    } else {
      EXPECT_TRUE(o.call.ok()) << v << " " << grpc::to_string(o.call.failure);
    }
  }
  EXPECT_EQ(server.resets().size(), 2u);
  EXPECT_EQ(server.connections(), 1);
  // The reset streams are two of the ten requests the server got.
  const std::vector<std::uint32_t> ids = server.request_ids();
  for (std::uint32_t id : server.resets()) EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id;
}

// Stream limit 1: VU 1 holds the stream, VUs 2, 3 and 4 wait in line for it; VU 2 is stopped
// while waiting. VUs 3 and 4 still get the stream, in their order.
TEST_P(Http2Connection, AWaiterInterruptedInLineLeavesItToTheNext) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  StallingServer server(1);
  const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", server.port());
  const Request req = make_request();
  const grpc::RequestBytes rb = req.bytes();
  metrics::ByteCounts bytes;
  std::unique_ptr<http2::ConnectionPool> pool;
  std::vector<VuOutcome> out(5);
  int finished = 0;
  http2::Connection* seen = nullptr;
  runtime::Reactor* reactor = nullptr;
  std::size_t waiters_before = 0, waiters_after = 0;
  bool usable_at_end = false;
  std::set<std::uint32_t> stop{2};
  runtime::Worker w(0, -1, runtime::choose_backend(GetParam()), [&](runtime::Reactor& r) {
    reactor = &r;
    pool = std::make_unique<http2::ConnectionPool>(r, http2::ConnectionSettings{}, ep, "t", 1, &bytes);
    for (std::uint32_t v = 1; v <= 4; ++v) r.spawn(vu_call(*pool, rb, v, out[v], finished, seen));
    r.spawn(settle(r, finished, 4, seen, usable_at_end, {&pool}));
  });
  ASSERT_TRUE(wait_until([&] { return server.requests() == 1; }));
  std::atomic<bool> done{false};
  w.post([&] {
    waiters_before = seen ? seen->waiters() : 0;
    reactor->timers().fire_interrupted_if(&owner_in, &stop);
    waiters_after = seen ? seen->waiters() : 0;
    done = true;
  });
  ASSERT_TRUE(wait_until([&] { return done.load(); }));
  server.release();
  ASSERT_TRUE(wait_until([&] { return server.answered() == 3; })) << server.answered();
  w.join();
  ASSERT_TRUE(w.error().empty()) << w.error();
  EXPECT_EQ(waiters_before, 3u);
  EXPECT_EQ(waiters_after, 2u);
  EXPECT_EQ(out[2].acquired, http2::Connection::WaitResult::interrupted);
  EXPECT_EQ(out[2].finished_order, 1);
  for (std::uint32_t v : {1u, 3u, 4u}) EXPECT_TRUE(out[v].call.ok()) << v << " " << grpc::to_string(out[v].call.failure);
  EXPECT_LT(out[1].finished_order, out[3].finished_order);
  EXPECT_LT(out[3].finished_order, out[4].finished_order);
  EXPECT_TRUE(server.resets().empty());
  EXPECT_EQ(server.connections(), 1);
  EXPECT_TRUE(usable_at_end);
}

// A VU's own connection (per-iteration pool with the VU as owner) stopped during the handshake:
// the wait ends as interrupted and the socket is closed.
TEST_P(Http2Connection, InterruptingAVusOwnConnectionClosesIt) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  StallingServer server(100, false);
  const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", server.port());
  const Request req = make_request();
  const grpc::RequestBytes rb = req.bytes();
  metrics::ByteCounts bytes;
  std::unique_ptr<http2::ConnectionPool> own, shared_pool;
  std::vector<VuOutcome> out(3);
  int finished = 0;
  http2::Connection* seen = nullptr;
  runtime::Reactor* reactor = nullptr;
  bool unused = false;
  std::set<std::uint32_t> stop{5};
  runtime::Worker w(0, -1, runtime::choose_backend(GetParam()), [&](runtime::Reactor& r) {
    reactor = &r;
    own = std::make_unique<http2::ConnectionPool>(r, http2::ConnectionSettings{}, ep, "t", 1, &bytes, 5);
    shared_pool = std::make_unique<http2::ConnectionPool>(r, http2::ConnectionSettings{}, ep, "t", 1, &bytes);
    r.spawn(vu_call(*own, rb, 0, out[1], finished, seen));  // owner 0: the pool's own, 5
    r.spawn(vu_call(*shared_pool, rb, 6, out[2], finished, seen));
    r.spawn(settle(r, finished, 2, seen, unused, {&own, &shared_pool}));
  });
  ASSERT_TRUE(wait_until([&] { return server.connections() >= 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  w.post([&] { reactor->timers().fire_interrupted_if(&owner_in, &stop); });
  ASSERT_TRUE(wait_until([&] { return server.closed_by_client() == 1; }));
  // VU 6 waits on for its (shared) connection, which no stop of VU 5 touches.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::set<std::uint32_t> stop6{6};
  w.post([&] { reactor->timers().fire_interrupted_if(&owner_in, &stop6); });
  w.join();
  ASSERT_TRUE(w.error().empty()) << w.error();
  EXPECT_EQ(out[1].call.failure, grpc::CallFailure::interrupted);
  EXPECT_EQ(out[1].finished_order, 1);
  EXPECT_EQ(out[2].acquired, http2::Connection::WaitResult::interrupted);
  EXPECT_EQ(out[2].finished_order, 2);
}

INSTANTIATE_TEST_SUITE_P(Io, Http2Connection, ::testing::Values(runtime::IoBackend::uring, runtime::IoBackend::epoll),
                         [](const auto& info) { return info.param == runtime::IoBackend::uring ? "uring" : "epoll"; });

TEST(StreamTable, InsertFindEraseAgainstAMap) {
  http2::StreamTable<int> table(64);
  std::map<std::uint32_t, int*> model;
  std::vector<int> values(4096);
  std::uint64_t x = 12345;
  std::uint32_t next = 1;
  for (int step = 0; step < 200000; ++step) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    if ((x >> 60) < 9 && model.size() < 64) {
      table.insert(next, &values[next % values.size()]);
      model[next] = &values[next % values.size()];
      next += 2;
    } else if (!model.empty()) {
      auto it = model.begin();
      std::advance(it, static_cast<long>((x >> 20) % model.size()));
      table.erase(it->first);
      model.erase(it);
    }
    ASSERT_EQ(table.size(), model.size());
    if (step % 97 == 0) {
      for (const auto& [id, v] : model) ASSERT_EQ(table.find(id), v) << id;
      ASSERT_EQ(table.find(next), nullptr);
    }
  }
}

TEST(StreamTable, GrowsKeepingEntries) {
  http2::StreamTable<int> table(4);
  int v[100];
  for (std::uint32_t i = 0; i < 8; ++i) table.insert(2 * i + 1, &v[i]);
  table.reserve(100);
  EXPECT_GE(table.capacity(), 100u);
  for (std::uint32_t i = 0; i < 8; ++i) EXPECT_EQ(table.find(2 * i + 1), &v[i]);
}

TEST(TurnHook, RunsOnceAtTheTurnsEndAndMayBeCancelledByAnother) {
  auto reactor = runtime::make_reactor(runtime::choose_backend(runtime::IoBackend::epoll));
  struct Ctx {
    int runs = 0;
    runtime::TurnHook* victim = nullptr;
  } a, b;
  runtime::TurnHook hb([](void* c) noexcept { ++static_cast<Ctx*>(c)->runs; }, &b);
  runtime::TurnHook ha(
      [](void* c) noexcept {
        auto* ctx = static_cast<Ctx*>(c);
        ++ctx->runs;
        ctx->victim->cancel();
      },
      &a);
  a.victim = &hb;
  reactor->spawn([](runtime::Reactor& r, runtime::TurnHook& ha, runtime::TurnHook& hb) -> runtime::Task<void> {
    r.at_turn_end(ha);
    r.at_turn_end(ha);  // armed twice: runs once
    r.at_turn_end(hb);
    co_await runtime::sleep_until(r, runtime::now_ns() + runtime::kMillisecond);
  }(*reactor, ha, hb));
  reactor->run();
  EXPECT_EQ(a.runs, 1);
  EXPECT_EQ(b.runs, 0);  // cancelled by the hook before it in the same batch
}

}  // namespace
}  // namespace inferload
