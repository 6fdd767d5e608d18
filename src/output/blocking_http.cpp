#include "inferload/output/blocking_http.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace inferload::output {
namespace {

using runtime::Nanos;

constexpr std::size_t kBodyKept = 4096;

std::string seconds_text(Nanos ns) {
  std::string s = std::to_string(ns / runtime::kSecond);
  if (const Nanos ms = ns % runtime::kSecond / runtime::kMillisecond; ms != 0) {
    std::string frac = std::to_string(1000 + ms).substr(1);
    while (frac.back() == '0') frac.pop_back();
    s += "." + frac;
  }
  return s + "s";
}

std::string numeric_address(const sockaddr* sa, socklen_t len) {
  char host[NI_MAXHOST], port[NI_MAXSERV];
  if (::getnameinfo(sa, len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "?";
  }
  return sa->sa_family == AF_INET6 ? std::string("[") + host + "]:" + port : std::string(host) + ":" + port;
}

}  // namespace

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[v >> shift & 63]);
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[v >> 18 & 63]);
    out.push_back(kAlphabet[v >> 12 & 63]);
    out.push_back(rest == 2 ? kAlphabet[v >> 6 & 63] : '=');
    out.push_back('=');
  }
  return out;
}

BlockingHttpClient::BlockingHttpClient(std::string host, std::uint16_t port, std::string host_header, Nanos timeout,
                                       int cancel_fd)
    : host_(std::move(host)), port_(port), host_header_(std::move(host_header)), timeout_(timeout),
      cancel_fd_(cancel_fd) {}

BlockingHttpClient::~BlockingHttpClient() { close_connection(); }

void BlockingHttpClient::close_connection() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int BlockingHttpClient::wait(short events, Nanos deadline) {
  for (;;) {
    const Nanos left = deadline - runtime::now_ns();
    if (left <= 0) return 0;
    pollfd fds[2] = {{fd_, events, 0}, {cancel_fd_, POLLIN, 0}};
    const int n = ::poll(fds, cancel_fd_ >= 0 ? 2 : 1,
                         static_cast<int>((left + runtime::kMillisecond - 1) / runtime::kMillisecond));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 0;
    if (cancel_fd_ >= 0 && fds[1].revents != 0) return -1;
    if (fds[0].revents != 0) return 1;
  }
}

bool BlockingHttpClient::connect(Nanos deadline, HttpResult& result) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(port_);
  if (const int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &found); rc != 0) {
    result.error = "lookup " + host_ + ": " + (rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc));
    return false;
  }
  // Every address in turn, as Go's dialer does, reporting the last failure.
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    peer_ = numeric_address(a->ai_addr, a->ai_addrlen);
    fd_ = ::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      result.error = "socket: " + std::string(std::strerror(errno));
      continue;
    }
    int err = 0;
    if (::connect(fd_, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        const int w = wait(POLLOUT, deadline);
        if (w < 0) {
          result.cancelled = true;
          result.error = "cancelled while connecting to " + peer_;
          close_connection();
          break;
        }
        if (w == 0) {
          err = ETIMEDOUT;
        } else {
          socklen_t len = sizeof err;
          if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        }
      }
    }
    if (err == 0) {
      const int one = 1;
      ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::freeaddrinfo(found);
      return true;
    }
    result.error = "connect to " + peer_ + ": " +
                   (err == ETIMEDOUT ? "no connection within " + seconds_text(timeout_) : std::strerror(err));
    close_connection();
  }
  ::freeaddrinfo(found);
  return false;
}

BlockingHttpClient::Outcome BlockingHttpClient::exchange(std::string_view body, Nanos deadline, HttpResult& result) {
  // Head and body in one gather write, resumed wherever the socket buffer cut it.
  std::size_t sent = 0;
  const std::size_t total = head_.size() + body.size();
  while (sent < total) {
    iovec iov[2];
    int count = 0;
    if (sent < head_.size()) iov[count++] = {head_.data() + sent, head_.size() - sent};
    const std::size_t body_from = sent > head_.size() ? sent - head_.size() : 0;
    if (body_from < body.size()) iov[count++] = {const_cast<char*>(body.data()) + body_from, body.size() - body_from};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      const int w = wait(POLLOUT, deadline);
      if (w > 0) continue;
      result.cancelled = w < 0;
      result.error = w < 0 ? "cancelled while sending to " + peer_
                           : "sending to " + peer_ + ": not done within " + seconds_text(timeout_);
      return Outcome::failed;
    }
    const int err = errno;
    result.error = "sending to " + peer_ + ": " + std::strerror(err);
    return err == EPIPE || err == ECONNRESET ? Outcome::stale : Outcome::failed;
  }

  parser_.reset();
  result.body.clear();
  parser_.set_body_sink(&result.body, kBodyKept);
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      const std::size_t used = parser_.feed(buf, static_cast<std::size_t>(n));
      if (parser_.failed()) break;
      if (parser_.complete()) {
        // Bytes after the response (none expected) would desynchronise the next one.
        if (used != static_cast<std::size_t>(n) || !parser_.keep_alive()) close_connection();
        result.status = parser_.status();
        return Outcome::done;
      }
      continue;
    }
    if (n == 0) {
      parser_.feed_eof();
      if (parser_.complete()) {
        close_connection();
        result.status = parser_.status();
        return Outcome::done;
      }
      if (!parser_.started()) {
        result.error = "connection to " + peer_ + " closed before any response";
        return Outcome::stale;
      }
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      const int w = wait(POLLIN, deadline);
      if (w > 0) continue;
      result.cancelled = w < 0;
      result.error = w < 0 ? "cancelled while waiting for " + peer_
                           : "no response from " + peer_ + " within " + seconds_text(timeout_);
      return Outcome::failed;
    }
    const int err = errno;
    result.error = "receiving from " + peer_ + ": " + std::strerror(err);
    return err == ECONNRESET && !parser_.started() ? Outcome::stale : Outcome::failed;
  }
  result.error = std::string("bad response from ") + peer_ + ": " + http1::to_string(parser_.error());
  return Outcome::failed;
}

HttpResult BlockingHttpClient::request(std::string_view method, std::string_view target, std::string_view fields,
                                       std::string_view body) {
  head_.clear();
  head_.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host_header_).append("\r\n");
  head_.append(fields).append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  const Nanos deadline = runtime::now_ns() + timeout_;
  HttpResult result;
  for (int attempt = 0;; ++attempt) {
    const bool reused = fd_ >= 0;
    if (!reused && !connect(deadline, result)) return result;
    const Outcome o = exchange(body, deadline, result);
    if (o == Outcome::done) return result;
    close_connection();
    // The server closed a kept-alive connection while it sat idle: the request never reached it.
    if (o == Outcome::stale && reused && attempt == 0) {
      result = HttpResult{};
      continue;
    }
    return result;
  }
}

}  // namespace inferload::output
