// The reactor, its timers and tasks, and TcpStream on both I/O backends, against a plain
// blocking-socket server running in a thread of the test.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "inferload/net/tcp_stream.hpp"
#include "inferload/runtime/backend.hpp"
#include "uring_probe.hpp"
#include "inferload/runtime/duration.hpp"
#include "inferload/runtime/worker.hpp"
#include "loopback.hpp"

using namespace inferload;
using runtime::kMillisecond;
using runtime::kSecond;
using runtime::Nanos;
using runtime::Task;

TEST(Duration, GoSyntax) {
  EXPECT_EQ(runtime::parse_duration("90s"), 90 * kSecond);
  EXPECT_EQ(runtime::parse_duration("1m30s"), 90 * kSecond);
  EXPECT_EQ(runtime::parse_duration("250ms"), 250 * kMillisecond);
  EXPECT_EQ(runtime::parse_duration("1.5s"), 1500 * kMillisecond);
  EXPECT_EQ(runtime::parse_duration("120m"), 7200 * kSecond);
  EXPECT_EQ(runtime::parse_duration("2h"), 7200 * kSecond);
  EXPECT_EQ(runtime::parse_duration("10us"), 10'000);
  EXPECT_EQ(runtime::parse_duration("10\xC2\xB5s"), 10'000);
  EXPECT_EQ(runtime::parse_duration("7ns"), 7);
  EXPECT_EQ(runtime::parse_duration("0"), 0);
}

TEST(Duration, ExtendedSyntax) {
  using runtime::DurationSyntax;
  EXPECT_EQ(runtime::parse_duration("1500", DurationSyntax::extended), 1500 * kMillisecond);
  EXPECT_EQ(runtime::parse_duration("1d12h", DurationSyntax::extended), 36 * 3600 * kSecond);
  EXPECT_THROW(runtime::parse_duration("1h1d", DurationSyntax::extended), std::invalid_argument);
}

TEST(Duration, Rejects) {
  for (const char* bad : {"", "10", "-1s", "1x", "s", "1.s.", "1d", "abc", "5 m"}) {
    EXPECT_THROW(runtime::parse_duration(bad), std::invalid_argument) << bad;
  }
}

namespace {

struct Recorder {
  std::vector<int>* log;
  int id;
  static void fire(void* self, runtime::FireReason r) noexcept {
    auto* rec = static_cast<Recorder*>(self);
    rec->log->push_back(r == runtime::FireReason::expired ? rec->id : -rec->id);
  }
};

}  // namespace

TEST(TimerQueue, FiresInDeadlineOrderAndCancels) {
  runtime::TimerQueue q;
  std::vector<int> log;
  Recorder r1{&log, 1}, r2{&log, 2}, r3{&log, 3}, r4{&log, 4};
  runtime::Timer t1(&Recorder::fire, &r1), t2(&Recorder::fire, &r2), t3(&Recorder::fire, &r3),
      t4(&Recorder::fire, &r4);
  q.arm(t1, 30);
  q.arm(t2, 10);
  q.arm(t3, 20);
  q.arm(t4, 40);
  q.cancel(t3);
  q.arm(t4, 5);  // re-arming moves it
  EXPECT_EQ(q.next_deadline(), 5);
  EXPECT_EQ(q.fire_expired(25), 2u);
  EXPECT_EQ(log, (std::vector<int>{4, 2}));
  EXPECT_FALSE(t3.armed());
  EXPECT_TRUE(t1.armed());
  EXPECT_EQ(q.fire_all_interrupted(), 1u);
  EXPECT_EQ(log, (std::vector<int>{4, 2, -1}));
  EXPECT_TRUE(q.empty());
}

TEST(TimerQueue, DestroyedTimerLeavesTheQueue) {
  runtime::TimerQueue q;
  std::vector<int> log;
  Recorder r{&log, 1};
  {
    runtime::Timer t(&Recorder::fire, &r);
    q.arm(t, 1);
  }
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.fire_expired(100), 0u);
}

TEST(TimerQueue, RandomisedAgainstSort) {
  runtime::TimerQueue q;
  std::vector<int> log;
  std::vector<std::unique_ptr<Recorder>> recs;
  std::vector<std::unique_ptr<runtime::Timer>> timers;
  unsigned seed = 12345;
  auto rnd = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 8) % 100000; };
  std::vector<std::pair<Nanos, int>> expected;
  for (int i = 0; i < 2000; ++i) {
    recs.push_back(std::make_unique<Recorder>(Recorder{&log, i + 1}));
    timers.push_back(std::make_unique<runtime::Timer>(&Recorder::fire, recs.back().get()));
    const Nanos d = static_cast<Nanos>(rnd()) * 1000 + i;  // unique deadlines
    q.arm(*timers.back(), d);
    expected.push_back({d, i + 1});
  }
  for (int i = 0; i < 2000; i += 3) {
    q.cancel(*timers[static_cast<std::size_t>(i)]);
    expected[static_cast<std::size_t>(i)].second = 0;
  }
  std::sort(expected.begin(), expected.end());
  q.fire_expired(runtime::kNever - 1);
  std::vector<int> want;
  for (auto& e : expected)
    if (e.second) want.push_back(e.second);
  EXPECT_EQ(log, want);
}

TEST(TimerQueue, WaitsOfOneLengthStayOutOfTheHeap) {
  runtime::TimerQueue q;
  std::vector<int> log;
  std::vector<std::unique_ptr<Recorder>> recs;
  std::vector<std::unique_ptr<runtime::Timer>> timers;
  // Three kinds of wait, each armed at a rising "now": their deadlines only ever increase.
  const Nanos lengths[] = {60'000, 10, 2'000};
  for (int i = 0; i < 300; ++i) {
    recs.push_back(std::make_unique<Recorder>(Recorder{&log, i + 1}));
    timers.push_back(std::make_unique<runtime::Timer>(&Recorder::fire, recs.back().get()));
    q.arm(*timers.back(), i * 7 + lengths[i % 3]);
  }
  EXPECT_EQ(q.heap_size(), 0u);
  EXPECT_EQ(q.size(), 300u);
  runtime::Timer never(&Recorder::fire, recs.front().get());
  q.arm(never, runtime::kNever);
  EXPECT_EQ(q.heap_size(), 0u);
  EXPECT_EQ(q.next_deadline(), 17);  // i = 1: 7 + 10
  q.fire_expired(runtime::kNever - 1);
  EXPECT_EQ(log.size(), 300u);
  EXPECT_TRUE(never.armed());
  EXPECT_EQ(q.next_deadline(), runtime::kNever);
  EXPECT_EQ(q.fire_all_interrupted(), 1u);
  EXPECT_TRUE(q.empty());
}

// Rising deadlines of a few lengths, cancels, re-arms and partial expiry, checked against a
// sorted reference at every step: lanes and heap together must give exact deadline order.
TEST(TimerQueue, LanesAndHeapTogetherKeepDeadlineOrder) {
  runtime::TimerQueue q;
  std::vector<int> log;
  constexpr int kTimers = 3000;
  std::vector<std::unique_ptr<Recorder>> recs;
  std::vector<std::unique_ptr<runtime::Timer>> timers;
  std::vector<Nanos> armed_at(kTimers, -1);  // -1: not armed
  for (int i = 0; i < kTimers; ++i) {
    recs.push_back(std::make_unique<Recorder>(Recorder{&log, i + 1}));
    timers.push_back(std::make_unique<runtime::Timer>(&Recorder::fire, recs.back().get()));
  }
  unsigned seed = 777;
  auto rnd = [&](unsigned n) { return seed = seed * 1103515245u + 12345u, (seed >> 8) % n; };
  const Nanos lengths[] = {1000, 50, 50'000, 5, 700, 3, 90'000, 12, 400, 8000, 61, 2};  // more kinds than lanes
  Nanos now = 0;
  for (int step = 0; step < 20000; ++step) {
    const int i = static_cast<int>(rnd(kTimers));
    const unsigned what = rnd(10);
    if (what < 6) {
      const Nanos d = (now + lengths[rnd(12)]) * kTimers + i;  // unique: d mod kTimers is the timer
      q.arm(*timers[static_cast<std::size_t>(i)], d);
      armed_at[static_cast<std::size_t>(i)] = d;
    } else if (what < 8) {
      q.cancel(*timers[static_cast<std::size_t>(i)]);
      armed_at[static_cast<std::size_t>(i)] = -1;
    } else {
      now += rnd(200);
      log.clear();
      std::vector<std::pair<Nanos, int>> due;
      for (int k = 0; k < kTimers; ++k) {
        if (armed_at[static_cast<std::size_t>(k)] >= 0 && armed_at[static_cast<std::size_t>(k)] <= now * kTimers) {
          due.push_back({armed_at[static_cast<std::size_t>(k)], k + 1});
          armed_at[static_cast<std::size_t>(k)] = -1;
        }
      }
      std::sort(due.begin(), due.end());
      q.fire_expired(now * kTimers);
      std::vector<int> want;
      for (auto& d : due) want.push_back(d.second);
      ASSERT_EQ(log, want) << "step " << step;
    }
    std::size_t alive = 0;
    for (Nanos a : armed_at) alive += a >= 0;
    ASSERT_EQ(q.size(), alive);
  }
}

namespace {

Task<int> add_later(runtime::Reactor& r, int a, int b) {
  co_await runtime::sleep_until(r, runtime::now_ns() + 2 * kMillisecond);
  co_return a + b;
}

Task<int> throws_later(runtime::Reactor& r) {
  co_await runtime::sleep_until(r, runtime::now_ns() + kMillisecond);
  throw std::runtime_error("boom");
}

// A tiny blocking server: accepts connections and runs `serve` on each in turn.
class BlockingServer {
 public:
  template <typename F>
  explicit BlockingServer(F serve) {
    fd_ = test::bind_loopback(port_, 64);
    thread_ = std::thread([this, serve] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) ::close(c);
          return;
        }
        serve(c);
      }
    });
  }
  ~BlockingServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  int fd_;
  std::uint16_t port_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void echo(int c) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(c, buf, sizeof(buf), 0);
    if (n <= 0) break;
    ::send(c, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
  }
  ::close(c);
}

// Runs `body` as the only task of a fresh reactor of the given backend, on this thread.
template <typename F>
void run_on(runtime::IoBackend backend, F body) {
  const runtime::BackendChoice choice = runtime::choose_backend(backend);
  auto reactor = runtime::make_reactor(choice);
  reactor->spawn(body(*reactor));
  reactor->run();
}

class Backends : public ::testing::TestWithParam<runtime::IoBackend> {};

}  // namespace

TEST_P(Backends, TasksChainAndPropagateExceptions) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  int sum = 0;
  bool caught = false;
  run_on(GetParam(), [&](runtime::Reactor& r) -> Task<void> {
    sum = co_await add_later(r, 2, 3);
    try {
      co_await throws_later(r);
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "boom";
    }
  });
  EXPECT_EQ(sum, 5);
  EXPECT_TRUE(caught);
}

TEST_P(Backends, SleepWaitsUntilTheDeadline) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  Nanos waited = 0;
  run_on(GetParam(), [&](runtime::Reactor& r) -> Task<void> {
    const Nanos t0 = runtime::now_ns();
    co_await runtime::sleep_until(r, t0 + 20 * kMillisecond);
    waited = runtime::now_ns() - t0;
  });
  EXPECT_GE(waited, 20 * kMillisecond);
  EXPECT_LT(waited, 2 * kSecond);
}

TEST_P(Backends, StreamEchoesManyRoundTrips) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  BlockingServer server(echo);
  const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", server.port());
  int rounds = 0;
  std::uint64_t sent = 0, received = 0;
  run_on(GetParam(), [&](runtime::Reactor& r) -> Task<void> {
    net::TcpStream s(r);
    const Nanos deadline = runtime::now_ns() + 10 * kSecond;
    EXPECT_EQ(co_await s.connect(ep, deadline), 0);
    const std::string head = "hello ", tail = "world";
    for (int i = 0; i < 1000; ++i) {
      const runtime::ConstBuffer bufs[2] = {{head.data(), head.size()}, {tail.data(), tail.size()}};
      if (i % 2) {
        EXPECT_EQ(co_await s.send(bufs, 2, deadline), 0);
      } else {
        EXPECT_EQ(s.start_send(bufs, 2), 0);
      }
      std::string got;
      while (got.size() < 11) {
        net::RecvResult res = co_await s.recv(deadline);
        if (res.status != net::RecvStatus::data) {
          ADD_FAILURE() << "recv status " << static_cast<int>(res.status) << " error " << res.error;
          co_return;
        }
        got.append(res.data, res.len);
      }
      EXPECT_EQ(got, "hello world");
      ++rounds;
    }
    EXPECT_NE(s.send_done_at(), 0);
    sent = s.bytes_sent();
    received = s.bytes_received();
  });
  EXPECT_EQ(rounds, 1000);
  EXPECT_EQ(sent, 11000u);
  EXPECT_EQ(received, 11000u);
}

TEST_P(Backends, ConnectRefused) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", test::unused_port());
  int err = -1;
  run_on(GetParam(), [&](runtime::Reactor& r) -> Task<void> {
    net::TcpStream s(r);
    err = co_await s.connect(ep, runtime::now_ns() + 5 * kSecond);
  });
  EXPECT_EQ(err, ECONNREFUSED);
}

TEST_P(Backends, RecvTimesOutAndPeerCloseIsEof) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  BlockingServer server([](int c) {
    char b[16];
    ::recv(c, b, sizeof(b), 0);  // read the request, answer nothing, close later
    ::usleep(300'000);
    ::close(c);
  });
  const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", server.port());
  net::RecvStatus first = net::RecvStatus::data, second = net::RecvStatus::data;
  run_on(GetParam(), [&](runtime::Reactor& r) -> Task<void> {
    net::TcpStream s(r);
    EXPECT_EQ(co_await s.connect(ep, runtime::now_ns() + 5 * kSecond), 0);
    const runtime::ConstBuffer b{"x", 1};
    EXPECT_EQ(co_await s.send(&b, 1, runtime::now_ns() + 5 * kSecond), 0);
    first = (co_await s.recv(runtime::now_ns() + 50 * kMillisecond)).status;  // times out
    EXPECT_FALSE(s.is_open());  // a timed-out connection cannot be trusted any more
    EXPECT_EQ(co_await s.connect(ep, runtime::now_ns() + 5 * kSecond), 0);
    // The server answers nothing and closes once it has read a byte.
    EXPECT_EQ(co_await s.send(&b, 1, runtime::now_ns() + 5 * kSecond), 0);
    second = (co_await s.recv(runtime::now_ns() + 5 * kSecond)).status;
  });
  EXPECT_EQ(first, net::RecvStatus::timed_out);
  EXPECT_EQ(second, net::RecvStatus::eof);
}

TEST_P(Backends, HardStopInterruptsEveryWaiter) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  BlockingServer server([](int c) {
    char b[16];
    while (::recv(c, b, sizeof(b), 0) > 0) {
    }
    ::close(c);
  });
  const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", server.port());
  const runtime::BackendChoice choice = runtime::choose_backend(GetParam());
  std::atomic<int> waiting{0}, interrupted{0};
  runtime::Reactor* reactor = nullptr;
  runtime::Worker w(0, -1, choice, [&](runtime::Reactor& r) {
    reactor = &r;
    for (int i = 0; i < 8; ++i) {
      r.spawn([](runtime::Reactor& r, const net::ResolvedEndpoint& ep, std::atomic<int>& waiting,
                 std::atomic<int>& n) -> Task<void> {
        net::TcpStream s(r);
        if (co_await s.connect(ep, runtime::kNever) != 0) co_return;
        ++waiting;
        const net::RecvResult res = co_await s.recv(runtime::kNever);
        if (res.status == net::RecvStatus::interrupted) ++n;
      }(r, ep, waiting, interrupted));
    }
  });
  for (int i = 0; i < 500 && waiting < 8; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(waiting, 8);
  // Posted from another thread, as the engine does on a hard stop.
  w.post([&] { reactor->timers().fire_all_interrupted(); });
  w.join();
  EXPECT_EQ(interrupted, 8);
  EXPECT_TRUE(w.error().empty()) << w.error();
}

INSTANTIATE_TEST_SUITE_P(Io, Backends, ::testing::Values(runtime::IoBackend::uring, runtime::IoBackend::epoll),
                         [](const auto& info) { return std::string(runtime::to_string(info.param)) == "io_uring" ? "uring" : "epoll"; });
