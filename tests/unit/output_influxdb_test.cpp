// The InfluxDB output against a scripted HTTP server on 127.0.0.1: the blocking client's
// framing (Content-Length, chunked, close), keep-alive and its one retry, its deadline and its
// cancellation; the sink's requests as k6 sends them, and every point that did not reach
// InfluxDB counted, by why.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "inferload/output/blocking_http.hpp"
#include "inferload/output/influxdb_output.hpp"
#include "loopback.hpp"

namespace inferload::output {
namespace {

using namespace std::chrono_literals;

struct Request {
  std::string head;  // request line and fields
  std::string body;
  int connection = 0;  // 1 for the first connection accepted, ...
};

// A thread per connection; `answer` gives each request's raw response, "" to close without
// one, nullopt to never answer.
class FakeServer {
 public:
  using Answer = std::function<std::optional<std::string>(const Request&)>;
  explicit FakeServer(Answer answer) : answer_(std::move(answer)) {
    listen_fd_ = test::bind_loopback(port_, 64);
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~FakeServer() {
    const std::uint64_t one = 1;
    EXPECT_EQ(::write(stop_fd_, &one, sizeof one), 8);
    acceptor_.join();
    for (auto& t : connections_) t.join();
    ::close(listen_fd_);
    ::close(stop_fd_);
  }
  std::uint16_t port() const { return port_; }
  std::vector<Request> requests() {
    std::lock_guard lock(m_);
    return requests_;
  }
  std::size_t request_count() {
    std::lock_guard lock(m_);
    return requests_.size();
  }

 private:
  bool wait_readable(int fd) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    return ::poll(fds, 2, -1) > 0 && fds[1].revents == 0;
  }
  void accept_loop() {
    int n = 0;
    while (wait_readable(listen_fd_)) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      connections_.emplace_back([this, fd, id = ++n] { serve(fd, id); });
    }
  }
  void serve(int fd, int id) {
    std::string in;
    char buf[65536];
    for (;;) {
      const auto head_end = in.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        Request r;
        r.head = in.substr(0, head_end + 2);
        r.connection = id;
        std::size_t length = 0;
        if (const auto at = r.head.find("Content-Length: "); at != std::string::npos) {
          length = std::stoul(r.head.substr(at + 16));
        }
        if (in.size() >= head_end + 4 + length) {
          r.body = in.substr(head_end + 4, length);
          in.erase(0, head_end + 4 + length);
          {
            std::lock_guard lock(m_);
            requests_.push_back(r);
          }
          const std::optional<std::string> answer = answer_(r);
          if (!answer) {
            wait_readable(stop_fd_);  // until the test ends
            break;
          }
          if (answer->empty()) break;
          if (::send(fd, answer->data(), answer->size(), MSG_NOSIGNAL) < 0) break;
          if (answer->find("Connection: close\r\n") != std::string::npos) break;
          continue;
        }
      }
      if (!wait_readable(fd)) break;
      const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
      if (got <= 0) break;
      in.append(buf, static_cast<std::size_t>(got));
    }
    ::close(fd);
  }

  Answer answer_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1, stop_fd_ = -1;
  std::thread acceptor_;
  std::vector<std::thread> connections_;
  std::mutex m_;
  std::vector<Request> requests_;
};

const std::string kNoContent = "HTTP/1.1 204 No Content\r\nContent-Type: application/json\r\n\r\n";
const std::string kChunkedQuery =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    "f\r\n{\"results\":[{\"s\r\n11\r\ntatement_id\":0}]}\r\n0\r\n\r\n";

std::optional<std::string> influx_like(const Request& r) {
  return r.head.rfind("POST /query", 0) == 0 ? kChunkedQuery : kNoContent;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

constexpr runtime::Nanos kTimeout = 2 * runtime::kSecond;

TEST(BlockingHttpClient, ReadsContentLengthChunkedAndCloseDelimitedBodiesOverOneConnection) {
  int n = 0;
  FakeServer server([&](const Request&) -> std::optional<std::string> {
    switch (++n) {
      case 1: return std::string("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
      case 2: return kChunkedQuery;
      default: return std::string("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n{\"error\":\"bad\"}");
    }
  });
  BlockingHttpClient http("127.0.0.1", server.port(), "127.0.0.1:" + std::to_string(server.port()), kTimeout, -1);
  HttpResult r = http.request("POST", "/a", "User-Agent: k6\r\n", "body");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "hello");
  r = http.request("POST", "/b", "", "");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "{\"results\":[{\"statement_id\":0}]}");
  r = http.request("GET", "/c", "", "");
  EXPECT_EQ(r.status, 400) << r.error;
  EXPECT_EQ(r.body, "{\"error\":\"bad\"}");
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].head, "POST /a HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                              "\r\nUser-Agent: k6\r\nContent-Length: 4\r\n");
  EXPECT_EQ(reqs[0].body, "body");
  EXPECT_EQ(reqs[2].connection, 1) << "kept alive";
}

TEST(BlockingHttpClient, SendsAgainOnceWhenTheServerClosedTheIdleConnection) {
  FakeServer server([](const Request& r) -> std::optional<std::string> {
    // Answers the first request, then drops the connection when the next one arrives, as a
    // server does that closes an idle connection just as the client reuses it.
    if (r.connection == 1 && r.head.rfind("POST /first", 0) == 0) return kNoContent;
    return r.connection == 1 ? std::string() : kNoContent;
  });
  BlockingHttpClient http("127.0.0.1", server.port(), "h", kTimeout, -1);
  EXPECT_EQ(http.request("POST", "/first", "", "x").status, 204);
  const HttpResult r = http.request("POST", "/second", "", "y");
  EXPECT_EQ(r.status, 204) << r.error;
  const auto reqs = server.requests();
  EXPECT_EQ(reqs.back().connection, 2);
  EXPECT_EQ(reqs.back().body, "y");
}

TEST(BlockingHttpClient, GivesUpAtItsDeadlineOrWhenCancelled) {
  FakeServer server([](const Request&) { return std::optional<std::string>(); });
  BlockingHttpClient slow("127.0.0.1", server.port(), "h", 200 * runtime::kMillisecond, -1);
  const auto t0 = std::chrono::steady_clock::now();
  HttpResult r = slow.request("POST", "/w", "", "x");
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.cancelled);
  EXPECT_EQ(r.error, "no response from 127.0.0.1:" + std::to_string(server.port()) + " within 0.2s");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);

  const int cancel = ::eventfd(0, EFD_CLOEXEC);
  BlockingHttpClient patient("127.0.0.1", server.port(), "h", 60 * runtime::kSecond, cancel);
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    const std::uint64_t one = 1;
    EXPECT_EQ(::write(cancel, &one, sizeof one), 8);
  });
  const auto t1 = std::chrono::steady_clock::now();
  r = patient.request("POST", "/w", "", "x");
  canceller.join();
  EXPECT_TRUE(r.cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 5s);
  ::close(cancel);
}

TEST(BlockingHttpClient, SaysWhyThereIsNoConnection) {
  const std::uint16_t port = test::unused_port();
  BlockingHttpClient http("127.0.0.1", port, "h", kTimeout, -1);
  const HttpResult r = http.request("POST", "/w", "", "x");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  BlockingHttpClient nowhere("no-such-host.invalid", 80, "h", kTimeout, -1);
  EXPECT_EQ(nowhere.request("POST", "/w", "", "x").error.rfind("lookup no-such-host.invalid: ", 0), 0u);
}

TEST(Base64, AsRfc4648) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("user:pa\xffss"), "dXNlcjpwYf9zcw==");
}

InfluxOptions options_for(std::uint16_t port) {
  InfluxOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.db = "k6db";
  o.push_interval = 100 * runtime::kMillisecond;
  o.request_timeout = kTimeout;
  return o;
}

const MetricInfo* reqs_metric() { return SampleExpander::metric("http_reqs"); }

void write_rows(SampleSink& sink, int n, Nanos t0) {
  const Tag tags[] = {{"group", ""}, {"scenario", "default"}, {"status", "200"}, {"url", "http://h/m"}};
  for (int i = 0; i < n; ++i) sink.write(SampleRow{reqs_metric(), t0 + i * 1000, 1.0, tags, std::size(tags), 1, nullptr});
}

TEST(InfluxdbOutput, CreatesTheDatabaseThenPostsEachIntervalsPointsAsK6Does) {
  FakeServer server(influx_like);
  InfluxOptions o = options_for(server.port());
  o.db = "k6 results";  // InfluxQL needs it quoted
  o.username = "admin";
  o.password = "s3cret";
  o.precision = "u";
  o.retention = "autogen";
  auto sink = make_influxdb_output(o);
  const Nanos t0 = 1'718'000'000'000'000'000;
  sink->tick(t0);
  write_rows(*sink, 3, t0);
  sink->tick(t0 + 50 * runtime::kMillisecond);  // not yet due
  sink->tick(t0 + 100 * runtime::kMillisecond);
  ASSERT_TRUE(wait_until([&] { return server.request_count() == 2; }));
  write_rows(*sink, 2, t0 + runtime::kSecond);  // the last batch goes at close()
  EXPECT_EQ(sink->close(), "");

  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  const std::string host = "Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n";
  const std::string fields = "User-Agent: k6\r\nContent-Type: \r\nAuthorization: Basic YWRtaW46czNjcmV0\r\n";
  EXPECT_EQ(reqs[0].head, "POST /query?db=&params=%7B%7D&q=CREATE+DATABASE+%22k6+results%22 HTTP/1.1\r\n" + host +
                              fields + "Content-Length: 0\r\n");
  const std::string write_line = "POST /write?consistency=&db=k6+results&precision=u&rp=autogen HTTP/1.1\r\n";
  EXPECT_EQ(reqs[1].head, write_line + host + fields + "Content-Length: " + std::to_string(reqs[1].body.size()) + "\r\n");
  EXPECT_EQ(reqs[1].body,
            "http_reqs,scenario=default,status=200 url=\"http://h/m\",value=1 1718000000000000\n"
            "http_reqs,scenario=default,status=200 url=\"http://h/m\",value=1 1718000000000001\n"
            "http_reqs,scenario=default,status=200 url=\"http://h/m\",value=1 1718000000000002\n");
  EXPECT_EQ(reqs[2].head.rfind(write_line, 0), 0u);
  EXPECT_EQ(reqs[2].body,
            "http_reqs,scenario=default,status=200 url=\"http://h/m\",value=1 1718000001000000\n"
            "http_reqs,scenario=default,status=200 url=\"http://h/m\",value=1 1718000001000001\n");
}

TEST(InfluxdbOutput, ABusyIntervalGoesOutInSeveralPosts) {
  FakeServer server(influx_like);
  InfluxOptions o = options_for(server.port());
  o.max_post_bytes = 200;  // about three points
  auto sink = make_influxdb_output(o);
  sink->tick(1);
  write_rows(*sink, 10, 1);
  EXPECT_EQ(sink->close(), "");
  std::size_t points = 0, writes = 0;
  for (const Request& r : server.requests()) {
    if (r.head.rfind("POST /write", 0) != 0) continue;
    ++writes;
    EXPECT_LE(r.body.size(), 200u + 100u);
    points += static_cast<std::size_t>(std::count(r.body.begin(), r.body.end(), '\n'));
  }
  EXPECT_EQ(points, 10u);
  EXPECT_GE(writes, 3u);
}

TEST(InfluxdbOutput, RefusedWritesAreCountedWithInfluxdbsReason) {
  FakeServer server([](const Request& r) -> std::optional<std::string> {
    if (r.head.rfind("POST /query", 0) == 0) return kChunkedQuery;
    const std::string body = "{\"error\":\"database not found: \\\"k6db\\\"\"}\n";
    return "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  });
  auto sink = make_influxdb_output(options_for(server.port()));
  sink->tick(1);
  write_rows(*sink, 4, 1);
  sink->tick(1 + runtime::kSecond);
  write_rows(*sink, 3, 2 * runtime::kSecond);
  EXPECT_EQ(sink->close(), "influxdb: 7 of 7 points not written: 7 in failed writes (HTTP 404 from InfluxDBv1 "
                           "(http://127.0.0.1:" + std::to_string(server.port()) +
                               "): database not found: \"k6db\")");
}

TEST(InfluxdbOutput, NobodyListeningLosesTheRunsPointsNotTheRun) {
  const std::uint16_t port = test::unused_port();
  auto sink = make_influxdb_output(options_for(port));
  sink->tick(1);
  write_rows(*sink, 5, 1);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(sink->close(), "influxdb: 5 of 5 points not written: 5 in failed writes (connect to 127.0.0.1:" +
                               std::to_string(port) + ": Connection refused)");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST(InfluxdbOutput, AFullQueueDropsWholeBatchesAndCloseWaitsOnlySoLong) {
  // The server takes the database query, then never answers a write: one write hangs in flight.
  FakeServer server([](const Request& r) -> std::optional<std::string> {
    if (r.head.rfind("POST /query", 0) == 0) return kChunkedQuery;
    return std::nullopt;
  });
  InfluxOptions o = options_for(server.port());
  o.concurrent_writes = 1;
  o.max_queued_bytes = 1;  // one batch waits at most
  o.request_timeout = 60 * runtime::kSecond;
  o.close_timeout = 200 * runtime::kMillisecond;
  auto sink = make_influxdb_output(o);
  Nanos now = 1;
  sink->tick(now);
  const auto push = [&](int rows) {
    write_rows(*sink, rows, now);
    now += o.push_interval;
    sink->tick(now);
  };
  push(10);  // in flight, for good
  ASSERT_TRUE(wait_until([&] { return server.request_count() == 2; }));
  push(10);  // waits in the queue
  push(10);  // no room: dropped
  push(10);  // dropped
  push(10);  // dropped
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(sink->close(), "influxdb: 50 of 50 points not written: 30 dropped in 3 batches while the queue to "
                           "InfluxDB was full, 20 still unsent 0.2s after the end");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST(InfluxdbOutput, AfterASignalTheLastBatchIsWaitedForOneSecondAtMost) {
  FakeServer server([](const Request& r) -> std::optional<std::string> {
    if (r.head.rfind("POST /query", 0) == 0) return kChunkedQuery;
    return std::nullopt;
  });
  InfluxOptions o = options_for(server.port());
  o.request_timeout = 60 * runtime::kSecond;
  o.close_timeout = 30 * runtime::kSecond;
  auto sink = make_influxdb_output(o);
  sink->tick(1);
  write_rows(*sink, 4, 1);
  sink->hurry();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(sink->close(), "influxdb: 4 of 4 points not written: 4 still unsent 1s after the end");
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 3s);
}

}  // namespace
}  // namespace inferload::output
