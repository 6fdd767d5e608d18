// The hot path must not touch the heap once it is warm: after a warm-up, thousands of HTTP
// exchanges on a keep-alive connection, on either backend, allocate nothing on the thread that
// runs them. Every allocation of the test's thread is counted through the global operator new.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <utility>

#include "h2_responder.hpp"
#include "inferload/grpc/call.hpp"
#include "inferload/http1/client.hpp"
#include "inferload/http2/connection_pool.hpp"
#include "inferload/scv2/grpc_targets.hpp"
#include "inferload/runtime/backend.hpp"
#include "loopback.hpp"
#include "uring_probe.hpp"

namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// GCC, inlining these into the standard library, takes the malloc'd block for one from the
// built-in operator new and warns of a mismatch that is not there: both sides are ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

using namespace inferload;

namespace {

const std::string kResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"outputs\":[1,2,3]}\n";

// Answers every complete request of `request_size` bytes with kResponse.
class FixedResponder {
 public:
  explicit FixedResponder(std::size_t request_size) {
    fd_ = test::bind_loopback(port_, 8);
    thread_ = std::thread([this, request_size] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[65536];
      std::size_t pending = 0;
      for (;;) {
        const ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        pending += static_cast<std::size_t>(n);
        for (; pending >= request_size; pending -= request_size) ::send(c, kResponse.data(), kResponse.size(), MSG_NOSIGNAL);
      }
      ::close(c);
    });
  }
  ~FixedResponder() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  int fd_;
  std::uint16_t port_;
  std::thread thread_;
};

class SteadyState : public ::testing::TestWithParam<runtime::IoBackend> {};

}  // namespace

TEST_P(SteadyState, ExchangesAllocateNothingOnceWarm) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  const http1::RequestTemplate request =
      http1::make_request("POST", "/v2/models/m/infer", {{"Host", "m"}, {"Content-Type", "application/json"}},
                          std::make_shared<const std::string>("{\"inputs\":[]}"));
  FixedResponder server(request.size());
  const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", server.port());
  auto reactor = runtime::make_reactor(runtime::choose_backend(GetParam()));
  int ok = 0;
  std::size_t first = 0, counted = 0;
  reactor->spawn([](runtime::Reactor& r, const net::ResolvedEndpoint& ep, const http1::RequestTemplate& req, int& ok,
                    std::size_t& first, std::size_t& counted) -> runtime::Task<void> {
    http1::Client client(r, ep, 10 * runtime::kSecond);
    // The first exchange does allocate (its frame, the socket): proof that counting works.
    counting = true;
    ok += (co_await client.exchange(req)).status == 200;
    counting = false;
    first = std::exchange(allocations, 0);
    for (int i = 1; i < 2000; ++i) ok += (co_await client.exchange(req)).status == 200;
    counting = true;
    for (int i = 0; i < 20000; ++i) ok += (co_await client.exchange(req)).status == 200;
    counting = false;
    counted = allocations;
  }(*reactor, ep, request, ok, first, counted));
  reactor->run();
  EXPECT_EQ(ok, 22000);
  EXPECT_GT(first, 0u);
  EXPECT_EQ(counted, 0u) << "heap allocations during 20000 warm exchanges";
}

// Many coroutines multiplexed on one HTTP/2 connection, as a worker's VUs share it: once warm,
// acquiring a stream, sending, reading the response and its trailers allocates nothing.
TEST_P(SteadyState, GrpcCallsAllocateNothingOnceWarm) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  test::H2Responder server;
  const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", server.port());
  auto reactor = runtime::make_reactor(runtime::choose_backend(GetParam()));
  std::string block;
  auto enc = scv2::make_stateless_encoder();
  const http2::Header h[] = {{":method", "POST"}, {":scheme", "http"}, {":path", "/inference.GRPCInferenceService/ModelInfer"},
                             {":authority", "t"}, {"content-type", "application/grpc"}, {"te", "trailers"},
                             {"seldon-model", "m0"}};
  ASSERT_TRUE(enc->encode(h, 7, block));
  std::string body(grpc::kMessagePrefixSize, '\0');
  grpc::encode_message_prefix(100, false, body.data());
  body.append(100, 'x');
  grpc::RequestBytes req;
  req.header_block = block;
  req.body[0] = {body.data(), body.size()};
  req.body_pieces = 1;

  constexpr int kWarm = 4000, kCounted = 20000, kCallers = 16;
  struct Progress {
    int done = 0, ok = 0;
    std::size_t first = 0, counted = 0;
  } progress;
  metrics::ByteCounts bytes;
  {
    http2::ConnectionPool pool(*reactor, {}, ep, "t", 1, &bytes);
    auto caller = [](http2::ConnectionPool& pool, const grpc::RequestBytes& req, Progress& p) -> runtime::Task<void> {
      grpc::MessageReader reader;
      while (p.done < kWarm + kCounted) {
        const runtime::Nanos deadline = runtime::now_ns() + 10 * runtime::kSecond;
        const auto a = co_await pool.acquire(deadline);
        if (!a.connection) break;
        const grpc::CallResult r = co_await grpc::unary_call(*a.connection, req, reader, deadline);
        p.ok += r.ok();
        if (++p.done == 1) {
          counting = false;
          p.first = std::exchange(allocations, 0);
        } else if (p.done == kWarm) {
          allocations = 0;
          counting = true;
        } else if (p.done == kWarm + kCounted) {
          counting = false;
          p.counted = allocations;
        }
      }
    };
    for (int i = 0; i < kCallers; ++i) reactor->spawn(caller(pool, req, progress));
    // The first call opens the connection, which does allocate: proof that counting works.
    allocations = 0;
    counting = true;
    reactor->run();
    counting = false;
  }
  EXPECT_GE(progress.ok, kWarm + kCounted);
  EXPECT_GT(progress.first, 0u);
  EXPECT_EQ(progress.counted, 0u) << "heap allocations during " << kCounted << " warm gRPC calls";
}

INSTANTIATE_TEST_SUITE_P(Io, SteadyState, ::testing::Values(runtime::IoBackend::uring, runtime::IoBackend::epoll),
                         [](const auto& info) { return info.param == runtime::IoBackend::uring ? "uring" : "epoll"; });
