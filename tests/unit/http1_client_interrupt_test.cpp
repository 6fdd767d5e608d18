// A hard stop of one VU (TimerQueue::fire_interrupted_if) on a worker where two VUs' HTTP/1.1
// clients wait for their responses: the stopped VU's exchange ends as interrupted with its
// connection closed, and the other VU's completes once the server answers.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "inferload/http1/client.hpp"
#include "inferload/runtime/backend.hpp"
#include "inferload/runtime/worker.hpp"
#include "loopback.hpp"
#include "uring_probe.hpp"

using namespace inferload;

namespace {

// Takes two connections, reads one request head from each, then waits for release() before
// answering; a connection the client has closed by then is counted, not answered.
class HeldServer {
 public:
  HeldServer() {
    fd_ = test::bind_loopback(port_, 8);
    thread_ = std::thread([this] { serve(); });
  }
  ~HeldServer() {
    released_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  int requests() const { return requests_.load(); }
  int closed_by_client() const { return closed_.load(); }
  int answered() const { return answered_.load(); }
  void release() { released_ = true; }

 private:
  void serve() {
    std::vector<int> conns;
    for (int i = 0; i < 2; ++i) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) break;
      conns.push_back(c);
      std::string head;
      char buf[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        head.append(buf, static_cast<std::size_t>(n));
      }
      ++requests_;
    }
    while (!released_) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    static constexpr char kResponse[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    for (int c : conns) {
      char b;
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 0) == 1 && ::recv(c, &b, 1, MSG_DONTWAIT) == 0) {
        ++closed_;
      } else {
        // Counted before the send: the client may read the answer, and the test check the
        // count, before send() has even returned here.
        ++answered_;
        if (::send(c, kResponse, sizeof(kResponse) - 1, MSG_NOSIGNAL) <= 0) --answered_;
      }
    }
    // Held open until the clients are done with the answers.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (int c : conns) ::close(c);
  }

  int fd_;
  std::uint16_t port_;
  std::atomic<bool> released_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> closed_{0};
  std::atomic<int> answered_{0};
  std::thread thread_;
};

bool owner_in(void* ctx, std::uint32_t owner) noexcept {
  return static_cast<const std::set<std::uint32_t>*>(ctx)->contains(owner);
}

struct Outcome {
  http1::Exchange x;
  bool connected_after = true;
};

runtime::Task<void> vu(runtime::Reactor& r, const net::ResolvedEndpoint& ep, const http1::RequestTemplate& req,
                       std::uint32_t owner, Outcome& out) {
  http1::Client client(r, ep, 20 * runtime::kSecond);
  client.set_owner(owner);
  out.x = co_await client.exchange(req);
  out.connected_after = client.connected();
}

class Http1Interrupt : public ::testing::TestWithParam<runtime::IoBackend> {};

TEST_P(Http1Interrupt, OnlyTheStoppedVusExchangeIsInterrupted) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  HeldServer server;
  const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", server.port());
  const http1::RequestTemplate req = http1::make_request("GET", "/x", {{"Host", "t"}}, nullptr);
  Outcome out[3];
  runtime::Reactor* reactor = nullptr;
  std::set<std::uint32_t> stop{1};
  runtime::Worker w(0, -1, runtime::choose_backend(GetParam()), [&](runtime::Reactor& r) {
    reactor = &r;
    r.spawn(vu(r, ep, req, 1, out[1]));
    r.spawn(vu(r, ep, req, 2, out[2]));
  });
  for (int i = 0; i < 1000 && server.requests() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(server.requests(), 2);
  std::atomic<std::size_t> fired{0};
  w.post([&] { fired = reactor->timers().fire_interrupted_if(&owner_in, &stop); });
  for (int i = 0; i < 1000 && fired == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the FIN reaches the server
  server.release();
  w.join();
  ASSERT_TRUE(w.error().empty()) << w.error();
  EXPECT_EQ(fired.load(), 1u);
  EXPECT_EQ(out[1].x.failure, net::Failure::interrupted);
  EXPECT_EQ(out[1].x.status, 0);
  EXPECT_FALSE(out[1].connected_after);
  EXPECT_EQ(out[2].x.failure, net::Failure::none);
  EXPECT_EQ(out[2].x.status, 200);
  EXPECT_EQ(server.closed_by_client(), 1);
  EXPECT_EQ(server.answered(), 1);
}

INSTANTIATE_TEST_SUITE_P(Io, Http1Interrupt, ::testing::Values(runtime::IoBackend::uring, runtime::IoBackend::epoll),
                         [](const auto& info) { return info.param == runtime::IoBackend::uring ? "uring" : "epoll"; });

}  // namespace
