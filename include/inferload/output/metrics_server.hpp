#pragma once
// A minimal HTTP/1.1 server for one resource, GET /metrics, on a thread of its own. It answers
// one connection at a time with blocking sockets and closes each after its response: a scraper
// asks every few seconds, so nothing here is worth an event loop, and none of it touches a worker.
#include <netinet/in.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "inferload/runtime/clock.hpp"

namespace inferload::output {

// Throws std::runtime_error when `address` is not of a form MetricsServer takes (it does not
// resolve or bind anything), so that a typo is reported before the run's slower checks.
void check_listen_address(const std::string& address);

class MetricsServer {
 public:
  // Appends the body of a scrape to `out`. Called on the server's thread.
  using Render = std::function<void(std::string& out)>;

  // Binds and listens on `address` (HOST:PORT, [V6]:PORT, :PORT for every address; port 0 takes
  // a free one). Throws std::runtime_error saying what is wrong with it or why it cannot listen.
  MetricsServer(const std::string& address, Render render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  void start();
  void stop();

  // http://IP:PORT/metrics, with the port actually bound.
  const std::string& url() const noexcept { return url_; }
  std::uint16_t port() const noexcept { return port_; }

  // Scrapes begun so far, and the longest time between two of the last few (0 before two):
  // with several scrapers (Prometheus and a person with curl) the shortest gap says nothing of
  // when the slowest comes back.
  std::uint64_t scrapes_begun() const;
  runtime::Nanos scrape_interval() const;
  // Waits until scrape number `n` (counting from 1) has been answered, or until `deadline` on
  // the monotonic clock. True when it was.
  bool wait_answered(std::uint64_t n, runtime::Nanos deadline);

 private:
  void run();
  void serve(int fd);
  bool send_all(int fd, const std::string& bytes);

  Render render_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd: stop() makes it readable, which ends every wait of the thread
  std::uint16_t port_ = 0;
  std::string url_;
  std::thread thread_;

  mutable std::mutex m_;
  std::condition_variable answered_cv_;
  std::uint64_t begun_ = 0, answered_ = 0;
  runtime::Nanos last_begun_at_ = 0;
  runtime::Nanos intervals_[8] = {};  // the last gaps between scrapes, a ring indexed by begun_

  std::string request_, response_, body_;  // the thread's buffers, reused
};

}  // namespace inferload::output
