#include "inferload/output/metrics_server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iterator>
#include <stdexcept>
#include <string_view>

namespace inferload::output {
namespace {

using runtime::Nanos;

// A request head larger than this is not a scraper's.
constexpr std::size_t kMaxRequestHead = 16 * 1024;
// A client that sends nothing, or reads nothing, for this long is dropped: the next scraper waits.
constexpr int kIoTimeoutMs = 5000;

struct HostPort {
  std::string host;  // "" for every address
  std::string port;
};

HostPort split_address(const std::string& address) {
  const std::string bad = "\"" + address + "\" is not HOST:PORT, [IPV6]:PORT or :PORT";
  HostPort hp;
  std::size_t colon;
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      throw std::runtime_error(bad);
    }
    hp.host = address.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = address.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error(bad);
    hp.host = address.substr(0, colon);
    if (hp.host.find(':') != std::string::npos) throw std::runtime_error(bad + " (an IPv6 address goes in brackets)");
  }
  hp.port = address.substr(colon + 1);
  if (hp.port.empty() || hp.port.size() > 5 || hp.port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(hp.port) > 65535) {
    throw std::runtime_error(bad + ": the port must be a number from 0 to 65535");
  }
  return hp;
}

std::string numeric_host(const sockaddr* sa, socklen_t len, std::uint16_t& port) {
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (::getnameinfo(sa, len, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "?";
  }
  port = static_cast<std::uint16_t>(std::stoul(serv));
  std::string out;
  if (sa->sa_family == AF_INET6) out += '[';
  out += host;
  if (sa->sa_family == AF_INET6) out += ']';
  return out;
}

// Waits until fd is ready for `events` or the wake fd fires; false on the wake, a timeout or an error.
bool wait_ready(int fd, short events, int wake_fd) {
  pollfd p[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
  for (;;) {
    const int n = ::poll(p, 2, kIoTimeoutMs);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || (p[1].revents & POLLIN)) return false;
    return (p[0].revents & (events | POLLHUP | POLLERR)) != 0;
  }
}

}  // namespace

void check_listen_address(const std::string& address) { split_address(address); }

MetricsServer::MetricsServer(const std::string& address, Render render) : render_(std::move(render)) {
  const HostPort hp = split_address(address);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(hp.host.empty() ? nullptr : hp.host.c_str(), hp.port.c_str(), &hints, &found);
      rc != 0) {
    throw std::runtime_error("cannot resolve \"" + hp.host + "\": " + ::gai_strerror(rc));
  }
  // The first address that can be bound: with no host that is every IPv4 address (getaddrinfo
  // lists 0.0.0.0 first), as exporters usually listen.
  std::string why;
  for (addrinfo* a = found; a != nullptr && listen_fd_ < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    // A scraper's connections left in TIME_WAIT by the last run must not keep the next from
    // binding; a port that another process listens on still fails with EADDRINUSE.
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 16) != 0) {
      why = std::strerror(errno);
      ::close(fd);
      continue;
    }
    listen_fd_ = fd;
  }
  ::freeaddrinfo(found);
  if (listen_fd_ < 0) throw std::runtime_error("cannot listen on " + address + ": " + why);
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  const std::string host = numeric_host(reinterpret_cast<const sockaddr*>(&bound), len, port_);
  url_ = "http://" + host + ":" + std::to_string(port_) + "/metrics";
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    const std::string e = std::strerror(errno);
    ::close(listen_fd_);
    throw std::runtime_error("eventfd: " + e);
  }
}

MetricsServer::~MetricsServer() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void MetricsServer::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void MetricsServer::stop() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
}

std::uint64_t MetricsServer::scrapes_begun() const {
  std::lock_guard lock(m_);
  return begun_;
}

Nanos MetricsServer::scrape_interval() const {
  std::lock_guard lock(m_);
  Nanos longest = 0;
  for (Nanos i : intervals_) longest = std::max(longest, i);
  return longest;
}

bool MetricsServer::wait_answered(std::uint64_t n, Nanos deadline) {
  std::unique_lock lock(m_);
  for (;;) {
    if (answered_ >= n) return true;
    const Nanos left = deadline - runtime::now_ns();
    if (left <= 0) return false;
    answered_cv_.wait_for(lock, std::chrono::nanoseconds(left));
  }
}

void MetricsServer::run() {
  for (;;) {
    if (!wait_ready(listen_fd_, POLLIN, wake_fd_)) {
      std::uint64_t v;
      if (::read(wake_fd_, &v, sizeof v) == sizeof v) return;  // stop()
      continue;  // a quiet stretch with no scraper
    }
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;  // the client gave up already, or descriptors ran out for a moment
    serve(fd);
    ::close(fd);
  }
}

bool MetricsServer::send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_ready(fd, POLLOUT, wake_fd_)) return false;
    } else {
      return false;
    }
  }
  return true;
}

void MetricsServer::serve(int fd) {
  request_.clear();
  std::size_t head_end;
  for (;;) {
    head_end = request_.find("\r\n\r\n");
    if (head_end != std::string::npos) break;
    if (request_.size() > kMaxRequestHead) return;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      request_.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_ready(fd, POLLIN, wake_fd_)) return;
    } else {
      return;
    }
  }
  // The request line: METHOD SP TARGET SP HTTP/1.x. No header matters: every response closes
  // the connection and none is compressed.
  const std::string_view head(request_.data(), head_end);
  const std::string_view line = head.substr(0, head.find("\r\n"));
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  int code = 200;
  std::string_view reason = "OK", extra, type = "text/plain; charset=utf-8";
  bool head_only = false;
  std::uint64_t scrape = 0;  // its number, when this is one
  body_.clear();
  if (sp2 == std::string_view::npos || line.substr(sp2 + 1).substr(0, 5) != "HTTP/") {
    code = 400, reason = "Bad Request";
    body_ = "not an HTTP request\n";
  } else {
    const std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    target = target.substr(0, target.find('?'));
    if (target != "/metrics") {
      code = 404, reason = "Not Found";
      body_ = "inferload serves /metrics only\n";
    } else if (method != "GET" && method != "HEAD") {
      code = 405, reason = "Method Not Allowed", extra = "Allow: GET, HEAD\r\n";
      body_ = "GET /metrics\n";
    } else {
      {
        std::lock_guard lock(m_);
        const Nanos now = runtime::now_ns();
        scrape = ++begun_;
        if (last_begun_at_ != 0) intervals_[begun_ % std::size(intervals_)] = now - last_begun_at_;
        last_begun_at_ = now;
      }
      render_(body_);
      type = "text/plain; version=0.0.4; charset=utf-8";
      head_only = method == "HEAD";
    }
  }
  response_ = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason) + "\r\n" + std::string(extra) +
              "Content-Type: " + std::string(type) + "\r\nContent-Length: " + std::to_string(body_.size()) +
              "\r\nConnection: close\r\n\r\n";
  if (!head_only) response_ += body_;
  const bool whole = send_all(fd, response_);
  // Unread request bytes at close() would make the kernel reset the connection, which can cost
  // the client the response it has not read yet: end our side, and take what is already here.
  ::shutdown(fd, SHUT_WR);
  char sink[1024];
  while (::recv(fd, sink, sizeof sink, 0) > 0) {
  }
  if (scrape != 0) {
    {
      std::lock_guard lock(m_);
      // Answered once its bytes are with the kernel; a client that vanished took nothing.
      if (whole && scrape > answered_) answered_ = scrape;
    }
    answered_cv_.notify_all();
  }
}

}  // namespace inferload::output
