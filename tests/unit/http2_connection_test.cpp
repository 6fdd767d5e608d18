// The HTTP/2 client connection and its pool against a scripted server on loopback: many calls
// multiplexed on one connection, GOAWAY and stream-id exhaustion moving new work to fresh
// connections with every call accounted for, grpc-status deciding the result; and the stream
// table and end-of-turn hooks it is built on.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "h2_responder.hpp"
#include "inferload/grpc/call.hpp"
#include "inferload/http2/connection_pool.hpp"
#include "inferload/http2/stream_table.hpp"
#include "inferload/runtime/backend.hpp"
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
