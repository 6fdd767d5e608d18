#pragma once
// A blocking HTTP/2 server for tests, one connection at a time on its own thread: it answers
// every request stream, once the request's END_STREAM arrives, with a gRPC response (headers,
// one message, trailers with grpc-status). Built from the project's frame codec and HPACK
// encoder: it tests the client's connection logic and resource use, not interoperability (the
// integration tests run against grpc++ and nghttpd for that). Over TLS too, with OpenSSL's
// blocking API, when given a server context.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "inferload/http2/frame.hpp"
#include "inferload/http2/hpack.hpp"
#include "loopback.hpp"

namespace inferload::test {

inline constexpr std::uint32_t kUnannounced = UINT32_MAX;

struct H2ResponderOptions {
  std::uint32_t max_concurrent_streams = 100;  // kUnannounced: no limit in the SETTINGS
  std::uint32_t max_header_list_size = 1u << 20;
  std::string grpc_status = "0";
  // After this many answers, GOAWAY(last answered, NO_ERROR) and close once nothing is open.
  int goaway_after = -1;
  // Set: every connection is over TLS with this context (which must choose h2 in ALPN).
  SSL_CTX* tls = nullptr;
};

class H2Responder {
 public:
  explicit H2Responder(H2ResponderOptions o = {}) : o_(std::move(o)) {
    // OpenSSL's socket BIO writes with write(): a client that has gone must not end the test.
    if (o_.tls) std::signal(SIGPIPE, SIG_IGN);
    fd_ = bind_loopback(port_, 16);
    thread_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        serve(c);
        ::close(c);
      }
    });
  }
  ~H2Responder() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  int answered() const { return answered_.load(); }
  int connections() const { return connections_.load(); }

 private:
  void serve(int c) {
    using namespace http2;
    ++connections_;
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl(o_.tls ? SSL_new(o_.tls) : nullptr, &SSL_free);
    if (ssl) {
      SSL_set_fd(ssl.get(), c);
      if (SSL_accept(ssl.get()) != 1) return;
    }
    auto write = [&](const std::string& bytes) {
      if (ssl) return SSL_write(ssl.get(), bytes.data(), static_cast<int>(bytes.size())) > 0;
      return ::send(c, bytes.data(), bytes.size(), MSG_NOSIGNAL) >= 0;
    };
    auto read = [&](char* into, std::size_t size) -> ssize_t {
      if (ssl) return SSL_read(ssl.get(), into, static_cast<int>(size));
      return ::recv(c, into, size, 0);
    };
    std::string out;
    const Setting s[] = {{SettingId::initial_window_size, 1u << 20},
                         {SettingId::max_header_list_size, o_.max_header_list_size},
                         {SettingId::max_concurrent_streams, o_.max_concurrent_streams}};
    append_settings(out, std::span<const Setting>(s, o_.max_concurrent_streams == kUnannounced ? 2 : 3));
    append_window_update(out, 0, 16u << 20);
    HpackEncoder enc;
    std::string headers, trailers;
    const Header h[] = {{":status", "200"}, {"content-type", "application/grpc"}};
    enc.encode(h, 2, headers);
    const Header t[] = {{"grpc-status", o_.grpc_status}};
    enc.encode(t, 1, trailers);
    const std::string message("\0\0\0\0\x04\x0a\x02m0", 9);
    FrameReader reader(kDefaultMaxFrameSize);
    char buf[65536];
    bool preface = false;
    std::string pending;
    std::uint32_t last_answered = 0;
    bool going_away = false;
    int in_connection = 0;
    for (;;) {
      if (!out.empty()) {
        if (!write(out)) return;
        out.clear();
      }
      if (going_away) return;
      const ssize_t n = read(buf, sizeof(buf));
      if (n <= 0) return;
      const char* p = buf;
      std::size_t len = static_cast<std::size_t>(n);
      if (!preface) {
        pending.append(p, len);
        if (pending.size() < kClientPreface.size()) continue;
        preface = true;
        reader.feed(pending.data() + kClientPreface.size(), pending.size() - kClientPreface.size());
      } else {
        reader.feed(p, len);
      }
      Frame f;
      for (ReadStatus st; (st = reader.next(f)) != ReadStatus::need_more;) {
        if (st != ReadStatus::frame) return;
        const FrameType type = f.header.type;
        if (type == FrameType::settings && !f.header.has(flags::ack)) append_settings_ack(out);
        if (type == FrameType::ping && !f.header.has(flags::ack)) append_ping(out, ping_opaque(f.payload), true);
        if (type == FrameType::data && f.header.length > 0) {
          append_window_update(out, 0, f.header.length);
          if (!f.header.has(flags::end_stream)) append_window_update(out, f.header.stream_id, f.header.length);
        }
        const bool ends = (type == FrameType::data || type == FrameType::headers) && f.header.has(flags::end_stream);
        if (!ends) continue;
        const std::uint32_t id = f.header.stream_id;
        append_headers(out, id, headers, false, true);
        append_data(out, id, message, false);
        append_headers(out, id, trailers, true, true);
        last_answered = id;
        ++answered_;
        if (o_.goaway_after > 0 && ++in_connection == o_.goaway_after) {
          append_goaway(out, last_answered, ErrorCode::no_error);
          going_away = true;
          break;
        }
      }
    }
  }

  H2ResponderOptions o_;
  int fd_;
  std::uint16_t port_;
  std::atomic<int> answered_{0};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

}  // namespace inferload::test
