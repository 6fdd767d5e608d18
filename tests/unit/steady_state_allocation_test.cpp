// The hot path must not touch the heap once it is warm: after a warm-up, thousands of HTTP
// exchanges on a keep-alive connection, on either backend, in clear or over TLS, allocate nothing
// on the thread that runs them. Every allocation of the test's thread is counted through the
// global operator new. Over TLS, OpenSSL's own buffers come from malloc (CRYPTO_malloc), which
// operator new never sees: what is counted is ours, the record layer's buffers included.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <utility>

#include "counting_new.hpp"
#include "h2_responder.hpp"
#include "inferload/grpc/call.hpp"
#include "inferload/http1/client.hpp"
#include "inferload/http2/connection_pool.hpp"
#include "inferload/scv2/grpc_targets.hpp"
#include "inferload/runtime/backend.hpp"
#include "inferload/tls/context.hpp"
#include "loopback.hpp"
#include "tls_test_pki.hpp"
#include "uring_probe.hpp"


using namespace inferload;

namespace {

const std::string kResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"outputs\":[1,2,3]}\n";

// Answers every complete request of `request_size` bytes with kResponse, over TLS when given a
// server context (OpenSSL's blocking API: its allocations are on this thread, not counted).
class FixedResponder {
 public:
  explicit FixedResponder(std::size_t request_size, SSL_CTX* tls = nullptr) {
    // OpenSSL's socket BIO writes with write(): a client that has gone must not end the test.
    if (tls) std::signal(SIGPIPE, SIG_IGN);
    fd_ = test::bind_loopback(port_, 8);
    thread_ = std::thread([this, request_size, tls] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::unique_ptr<SSL, decltype(&SSL_free)> ssl(tls ? SSL_new(tls) : nullptr, &SSL_free);
      if (ssl) SSL_set_fd(ssl.get(), c);
      if (!ssl || SSL_accept(ssl.get()) == 1) {
        char buf[65536];
        std::size_t pending = 0;
        for (;;) {
          const ssize_t n = ssl ? SSL_read(ssl.get(), buf, sizeof(buf)) : ::recv(c, buf, sizeof(buf), 0);
          if (n <= 0) break;
          pending += static_cast<std::size_t>(n);
          for (; pending >= request_size; pending -= request_size) {
            if (ssl) SSL_write(ssl.get(), kResponse.data(), static_cast<int>(kResponse.size()));
            else ::send(c, kResponse.data(), kResponse.size(), MSG_NOSIGNAL);
          }
        }
      }
      ssl.reset();
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

// Trusts the test PKI's CA and checks the server's certificate for 127.0.0.1.
tls::Peer tls_peer(const char* alpn) {
  tls::ClientOptions o;
  o.ca_file = tls::test::pki().ca_file;
  return {std::make_shared<const tls::Context>(o, alpn), "127.0.0.1"};
}

struct Counted {
  int ok = 0;
  std::size_t first = 0;    // allocations of the first exchange, which opens the connection
  std::size_t counted = 0;  // allocations of the counted exchanges, after the warm-up
};

// `warm` exchanges (the first counted), then `counted` counted ones, on one kept-alive connection.
Counted exchange_warm(runtime::IoBackend io, const tls::Peer* peer, int warm, int counted) {
  const http1::RequestTemplate request =
      http1::make_request("POST", "/v2/models/m/infer", {{"Host", "m"}, {"Content-Type", "application/json"}},
                          std::make_shared<const std::string>("{\"inputs\":[]}"));
  tls::test::ServerContext server_tls = peer ? tls::test::server_context() : nullptr;
  FixedResponder server(request.size(), server_tls.get());
  const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", server.port());
  auto reactor = runtime::make_reactor(runtime::choose_backend(io));
  Counted c;
  reactor->spawn([](runtime::Reactor& r, const net::ResolvedEndpoint& ep, const tls::Peer* peer,
                    const http1::RequestTemplate& req, int warm, int counted, Counted& c) -> runtime::Task<void> {
    http1::Client client(r, ep, 10 * runtime::kSecond, peer);
    // The first exchange does allocate (its frame, the socket): proof that counting works.
    counting = true;
    c.ok += (co_await client.exchange(req)).status == 200;
    counting = false;
    c.first = std::exchange(allocations, 0);
    for (int i = 1; i < warm; ++i) c.ok += (co_await client.exchange(req)).status == 200;
    counting = true;
    for (int i = 0; i < counted; ++i) c.ok += (co_await client.exchange(req)).status == 200;
    counting = false;
    c.counted = allocations;
    allocations = 0;
  }(*reactor, ep, peer, request, warm, counted, c));
  reactor->run();
  return c;
}

class SteadyState : public ::testing::TestWithParam<runtime::IoBackend> {};

}  // namespace

TEST_P(SteadyState, ExchangesAllocateNothingOnceWarm) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  const Counted c = exchange_warm(GetParam(), nullptr, 2000, 20000);
  EXPECT_EQ(c.ok, 22000);
  EXPECT_GT(c.first, 0u);
  EXPECT_EQ(c.counted, 0u) << "heap allocations during 20000 warm exchanges";
}

// Over TLS the records are written and read through the connection's own buffers, reused from
// one exchange to the next.
TEST_P(SteadyState, TlsExchangesAllocateNothingOnceWarm) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  const tls::Peer peer = tls_peer("http/1.1");
  const Counted c = exchange_warm(GetParam(), &peer, 2000, 20000);
  EXPECT_EQ(c.ok, 22000);
  EXPECT_GT(c.first, 0u);
  EXPECT_EQ(c.counted, 0u) << "heap allocations during 20000 warm exchanges over TLS";
}

namespace {

struct Progress {
  int done = 0, ok = 0;
  std::size_t first = 0, counted = 0;
};

constexpr int kGrpcWarm = 4000, kGrpcCounted = 20000;

// kCallers coroutines calling until kGrpcWarm + kGrpcCounted calls are done, the first one and
// the last kGrpcCounted counted, on one HTTP/2 connection (over TLS when `peer` is given).
Progress call_warm(runtime::IoBackend io, const tls::Peer* peer) {
  tls::test::ServerContext server_tls = peer ? tls::test::server_context("h2") : nullptr;
  test::H2ResponderOptions options;
  options.tls = server_tls.get();
  test::H2Responder server(options);
  const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", server.port());
  auto reactor = runtime::make_reactor(runtime::choose_backend(io));
  std::string block;
  auto enc = scv2::make_stateless_encoder();
  const http2::Header h[] = {{":method", "POST"}, {":scheme", peer ? "https" : "http"},
                             {":path", "/inference.GRPCInferenceService/ModelInfer"},
                             {":authority", "t"}, {"content-type", "application/grpc"}, {"te", "trailers"},
                             {"seldon-model", "m0"}};
  EXPECT_TRUE(enc->encode(h, 7, block));
  std::string body(grpc::kMessagePrefixSize, '\0');
  grpc::encode_message_prefix(100, false, body.data());
  body.append(100, 'x');
  grpc::RequestBytes req;
  req.header_block = block;
  req.body[0] = {body.data(), body.size()};
  req.body_pieces = 1;

  constexpr int kCallers = 16;
  Progress progress;
  metrics::ByteCounts bytes;
  {
    http2::ConnectionPool pool(*reactor, {}, ep, "t", 1, &bytes);
    if (peer) pool.use_tls(*peer);
    auto caller = [](http2::ConnectionPool& pool, const grpc::RequestBytes& req, Progress& p) -> runtime::Task<void> {
      grpc::MessageReader reader;
      while (p.done < kGrpcWarm + kGrpcCounted) {
        const runtime::Nanos deadline = runtime::now_ns() + 10 * runtime::kSecond;
        const auto a = co_await pool.acquire(deadline);
        if (!a.connection) break;
        const grpc::CallResult r = co_await grpc::unary_call(*a.connection, req, reader, deadline);
        p.ok += r.ok();
        if (++p.done == 1) {
          counting = false;
          p.first = std::exchange(allocations, 0);
        } else if (p.done == kGrpcWarm) {
          allocations = 0;
          counting = true;
        } else if (p.done == kGrpcWarm + kGrpcCounted) {
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
  return progress;
}

}  // namespace

// Many coroutines multiplexed on one HTTP/2 connection, as a worker's VUs share it: once warm,
// acquiring a stream, sending, reading the response and its trailers allocates nothing.
TEST_P(SteadyState, GrpcCallsAllocateNothingOnceWarm) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  const Progress p = call_warm(GetParam(), nullptr);
  EXPECT_GE(p.ok, kGrpcWarm + kGrpcCounted);
  EXPECT_GT(p.first, 0u);
  EXPECT_EQ(p.counted, 0u) << "heap allocations during " << kGrpcCounted << " warm gRPC calls";
}

TEST_P(SteadyState, GrpcCallsOverTlsAllocateNothingOnceWarm) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  const tls::Peer peer = tls_peer("h2");
  const Progress p = call_warm(GetParam(), &peer);
  EXPECT_GE(p.ok, kGrpcWarm + kGrpcCounted);
  EXPECT_GT(p.first, 0u);
  EXPECT_EQ(p.counted, 0u) << "heap allocations during " << kGrpcCounted << " warm gRPC calls over TLS";
}

INSTANTIATE_TEST_SUITE_P(Io, SteadyState, ::testing::Values(runtime::IoBackend::uring, runtime::IoBackend::epoll),
                         [](const auto& info) { return info.param == runtime::IoBackend::uring ? "uring" : "epoll"; });
