#include "inferload/output/blocking_http.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
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

SSL* ssl_of(void* p) { return static_cast<SSL*>(p); }

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
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
                                       int cancel_fd, TlsOptions tls)
    : host_(std::move(host)), port_(port), host_header_(std::move(host_header)), timeout_(timeout),
      cancel_fd_(cancel_fd), tls_(tls) {
  if (!tls_.enabled) return;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return;  // every request then says so
  // Go's client floor; a peer closing without close_notify is an end of stream, as in Go.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (tls_.verify) SSL_CTX_set_default_verify_paths(ctx);
  ssl_ctx_ = ctx;
}

BlockingHttpClient::~BlockingHttpClient() {
  close_connection();
  if (ssl_ctx_ != nullptr) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

void BlockingHttpClient::close_connection() noexcept {
  if (ssl_ != nullptr) SSL_free(ssl_of(ssl_));
  ssl_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string BlockingHttpClient::tls_error(int ssl_result) {
  const int kind = SSL_get_error(ssl_of(ssl_), ssl_result);
  std::string text;
  if (const unsigned long e = ERR_get_error(); e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    const char* reason = ERR_reason_error_string(e);
    text = reason != nullptr ? reason : buf;
  } else if (kind == SSL_ERROR_SYSCALL && errno != 0) {
    text = std::strerror(errno);
  } else {
    text = "TLS error " + std::to_string(kind);
  }
  if (const long v = SSL_get_verify_result(ssl_of(ssl_)); v != X509_V_OK) {
    text += std::string(": ") + X509_verify_cert_error_string(v);
  }
  ERR_clear_error();
  return text;
}

bool BlockingHttpClient::handshake(Nanos deadline, HttpResult& result) {
  if (ssl_ctx_ == nullptr) {
    result.error = "TLS with " + peer_ + ": no TLS context (OpenSSL could not make one)";
    return false;
  }
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
  ssl_ = ssl;
  SSL_set_fd(ssl, fd_);
  const bool ip = is_ip_literal(host_);
  if (!ip) SSL_set_tlsext_host_name(ssl, host_.c_str());
  if (tls_.verify) {
    SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (ip) X509_VERIFY_PARAM_set1_ip_asc(param, host_.c_str());
    else SSL_set1_host(ssl, host_.c_str());
  } else {
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
  }
  ERR_clear_error();
  for (;;) {
    const int r = SSL_connect(ssl);
    if (r == 1) return true;
    const int kind = SSL_get_error(ssl, r);
    if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE) {
      const int w = wait(kind == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
      if (w > 0) continue;
      result.cancelled = w < 0;
      result.error = w < 0 ? "cancelled during the TLS handshake with " + peer_
                           : "TLS handshake with " + peer_ + ": not done within " + seconds_text(timeout_);
      return false;
    }
    result.error = "TLS handshake with " + peer_ + ": " + tls_error(r);
    return false;
  }
}

BlockingHttpClient::Io BlockingHttpClient::write_some(std::string_view a, std::string_view b, std::size_t& n,
                                                      std::string& error) {
  n = 0;
  if (ssl_ != nullptr) {
    const std::string_view part = a.empty() ? b : a;
    ERR_clear_error();
    errno = 0;
    const int r = SSL_write(ssl_of(ssl_), part.data(), static_cast<int>(std::min<std::size_t>(part.size(), 1 << 30)));
    if (r > 0) {
      n = static_cast<std::size_t>(r);
      return Io::done;
    }
    const int kind = SSL_get_error(ssl_of(ssl_), r);
    if (kind == SSL_ERROR_WANT_READ) return Io::wait_read;
    if (kind == SSL_ERROR_WANT_WRITE) return Io::wait_write;
    const bool closed = kind == SSL_ERROR_ZERO_RETURN || (kind == SSL_ERROR_SYSCALL && (errno == EPIPE || errno == ECONNRESET));
    error = tls_error(r);
    return closed ? Io::closed : Io::failed;
  }
  iovec iov[2];
  int count = 0;
  if (!a.empty()) iov[count++] = {const_cast<char*>(a.data()), a.size()};
  if (!b.empty()) iov[count++] = {const_cast<char*>(b.data()), b.size()};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  for (;;) {
    const ssize_t r = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (r >= 0) {
      n = static_cast<std::size_t>(r);
      return Io::done;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::wait_write;
    error = std::strerror(errno);
    return errno == EPIPE || errno == ECONNRESET ? Io::closed : Io::failed;
  }
}

BlockingHttpClient::Io BlockingHttpClient::read_some(char* buf, std::size_t size, std::size_t& n, std::string& error) {
  n = 0;
  if (ssl_ != nullptr) {
    ERR_clear_error();
    errno = 0;
    const int r = SSL_read(ssl_of(ssl_), buf, static_cast<int>(size));
    if (r > 0) {
      n = static_cast<std::size_t>(r);
      return Io::done;
    }
    const int kind = SSL_get_error(ssl_of(ssl_), r);
    if (kind == SSL_ERROR_WANT_READ) return Io::wait_read;
    if (kind == SSL_ERROR_WANT_WRITE) return Io::wait_write;
    if (kind == SSL_ERROR_ZERO_RETURN || (kind == SSL_ERROR_SYSCALL && (errno == 0 || errno == ECONNRESET))) {
      ERR_clear_error();
      return Io::closed;
    }
    error = tls_error(r);
    return Io::failed;
  }
  for (;;) {
    const ssize_t r = ::recv(fd_, buf, size, 0);
    if (r > 0) {
      n = static_cast<std::size_t>(r);
      return Io::done;
    }
    if (r == 0) return Io::closed;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::wait_read;
    // A reset is the peer going away, like an end of stream; whether that is a failure
    // depends on how much of the response came.
    if (errno == ECONNRESET) return Io::closed;
    error = std::strerror(errno);
    return Io::failed;
  }
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
      if (tls_.enabled && !handshake(deadline, result)) {
        close_connection();
        return false;
      }
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
  // Head and body together, resumed wherever the socket (or the TLS record) cut them.
  std::size_t sent = 0;
  const std::size_t total = head_.size() + body.size();
  while (sent < total) {
    const std::string_view head_left = sent < head_.size() ? std::string_view(head_).substr(sent) : std::string_view();
    const std::string_view body_left = body.substr(sent > head_.size() ? sent - head_.size() : 0);
    std::size_t n = 0;
    std::string error;
    const Io io = write_some(head_left, body_left, n, error);
    if (io == Io::done) {
      sent += n;
      continue;
    }
    if (io == Io::wait_read || io == Io::wait_write) {
      const int w = wait(io == Io::wait_read ? POLLIN : POLLOUT, deadline);
      if (w > 0) continue;
      result.cancelled = w < 0;
      result.error = w < 0 ? "cancelled while sending to " + peer_
                           : "sending to " + peer_ + ": not done within " + seconds_text(timeout_);
      return Outcome::failed;
    }
    result.error = "sending to " + peer_ + ": " + error;
    return io == Io::closed ? Outcome::stale : Outcome::failed;
  }

  parser_.reset();
  result.body.clear();
  parser_.set_body_sink(&result.body, kBodyKept);
  char buf[16384];
  for (;;) {
    std::size_t n = 0;
    std::string error;
    const Io io = read_some(buf, sizeof buf, n, error);
    if (io == Io::done) {
      const std::size_t used = parser_.feed(buf, n);
      if (parser_.failed()) break;
      if (parser_.complete()) {
        // Bytes after the response (none expected) would desynchronise the next one.
        if (used != n || !parser_.keep_alive()) close_connection();
        result.status = parser_.status();
        return Outcome::done;
      }
      continue;
    }
    if (io == Io::closed) {
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
    if (io == Io::wait_read || io == Io::wait_write) {
      const int w = wait(io == Io::wait_read ? POLLIN : POLLOUT, deadline);
      if (w > 0) continue;
      result.cancelled = w < 0;
      result.error = w < 0 ? "cancelled while waiting for " + peer_
                           : "no response from " + peer_ + " within " + seconds_text(timeout_);
      return Outcome::failed;
    }
    result.error = "receiving from " + peer_ + ": " + error;
    return Outcome::failed;
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
