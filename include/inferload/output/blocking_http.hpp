#pragma once
// A small blocking HTTP/1.1 client for threads that may wait, such as the InfluxDB output's
// senders, never a worker. One keep-alive connection at a time, plain or TLS (OpenSSL); every
// request is bounded by a deadline and by a cancel descriptor (any fd that turns readable, an
// eventfd say), so whoever owns the thread can always get it back. Responses are read with
// http1::ResponseParser, so Content-Length, chunked and close-delimited bodies are understood.
#include <cstdint>
#include <string>
#include <string_view>

#include "inferload/http1/response_parser.hpp"
#include "inferload/runtime/clock.hpp"

namespace inferload::output {

struct HttpResult {
  int status = 0;         // the response's status; 0 when there is none
  std::string body;       // its first 4 KiB
  std::string error;      // why there is no response, e.g. "connect to 127.0.0.1:8086: Connection refused"
  bool cancelled = false;  // the cancel descriptor turned readable
};

struct TlsOptions {
  bool enabled = false;
  // Check the server's certificate against the system's CAs (or SSL_CERT_FILE / SSL_CERT_DIR)
  // and the host's name or address; false is k6's insecure=true.
  bool verify = true;
};

class BlockingHttpClient {
 public:
  // `host` is a name or an address (an IPv6 one without brackets); `host_header` the Host field.
  BlockingHttpClient(std::string host, std::uint16_t port, std::string host_header, runtime::Nanos timeout,
                     int cancel_fd, TlsOptions tls = {});
  ~BlockingHttpClient();
  BlockingHttpClient(const BlockingHttpClient&) = delete;
  BlockingHttpClient& operator=(const BlockingHttpClient&) = delete;

  // `fields` are whole field lines ("User-Agent: k6\r\n"); Host and Content-Length are added.
  // The whole exchange, connecting included, must end within the timeout. A kept-alive
  // connection the server closed meanwhile is replaced once, so only use this for requests
  // that may be repeated (an InfluxDB write may: the same point twice is the same point).
  HttpResult request(std::string_view method, std::string_view target, std::string_view fields,
                     std::string_view body);

 private:
  enum class Outcome { done, failed, stale };
  // What one attempt to move bytes did; the waits say what the socket must become first.
  enum class Io { done, wait_read, wait_write, closed, failed };
  bool connect(runtime::Nanos deadline, HttpResult& result);
  bool handshake(runtime::Nanos deadline, HttpResult& result);
  Outcome exchange(std::string_view body, runtime::Nanos deadline, HttpResult& result);
  // Writes from `a`, then `b` (plain TCP gathers both); `n` is what went out.
  Io write_some(std::string_view a, std::string_view b, std::size_t& n, std::string& error);
  Io read_some(char* buf, std::size_t size, std::size_t& n, std::string& error);
  // 1 when `fd` is ready for `events`, 0 at the deadline, -1 when cancelled.
  int wait(short events, runtime::Nanos deadline);
  std::string tls_error(int ssl_result);
  void close_connection() noexcept;

  std::string host_;
  std::uint16_t port_;
  std::string host_header_;
  runtime::Nanos timeout_;
  int cancel_fd_;
  TlsOptions tls_;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*, kept out of this header with OpenSSL's
  void* ssl_ = nullptr;      // SSL* of the connection
  int fd_ = -1;
  std::string peer_;  // "ip:port" of the connection, for messages
  std::string head_;
  http1::ResponseParser parser_;
};

// RFC 4648 base64, for a Basic Authorization field.
std::string base64(std::string_view bytes);

}  // namespace inferload::output
