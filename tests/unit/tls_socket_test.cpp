// TLS over both reactors: net::TcpStream connected through a tls::Connector to OpenSSL's own
// server (a blocking thread on 127.0.0.1), with certificates this test makes: the handshake's
// timing and version, data both ways in pieces larger than a record, resumption on the next
// connection, and a certificate that is not trusted.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "inferload/net/tcp_stream.hpp"
#include "inferload/runtime/backend.hpp"
#include "inferload/tls/secure_socket.hpp"
#include "tls_test_pki.hpp"
#include "uring_probe.hpp"

namespace inferload::tls {
namespace {

using namespace test;  // NOLINT: the PKI's names

// A listening socket on 127.0.0.1 and an ephemeral port.
int listen_on_loopback(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  ::listen(fd, 8);
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// Answers "N\n" with N bytes of 'x' on each connection it accepts, until the client closes.
class TlsServer {
 public:
  explicit TlsServer(int connections) {
    listener_ = listen_on_loopback(port_);
    thread_ = std::thread([this, connections] {
      for (int i = 0; i < connections; ++i) serve_one();
    });
  }
  ~TlsServer() {
    finish();
    ::close(listener_);
  }
  // Stops accepting and waits for the connections being served to end.
  void finish() {
    ::shutdown(listener_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
  }
  std::uint16_t port() const { return port_; }
  int handshakes_failed() const { return failed_.load(); }
  // What the server's sockets read, and wrote up to their last answer, every connection so far.
  std::uint64_t wire_read() const { return read_.load(); }
  std::uint64_t wire_written() const { return written_.load(); }

 private:
  void serve_one() {
    const int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    SSL* ssl = SSL_new(ctx_.get());
    SSL_set_fd(ssl, fd);
    std::uint64_t answered = 0;
    if (SSL_accept(ssl) != 1) {
      ++failed_;
    } else {
      std::string line;
      char c;
      while (SSL_read(ssl, &c, 1) == 1) {
        if (c != '\n') {
          line += c;
          continue;
        }
        const std::string answer(std::stoul(line), 'x');
        SSL_write(ssl, answer.data(), static_cast<int>(answer.size()));
        // What the client must have received before it closes (what OpenSSL writes on seeing
        // the close, after, the client never sees).
        answered = BIO_number_written(SSL_get_wbio(ssl));
        line.clear();
      }
    }
    read_ += BIO_number_read(SSL_get_rbio(ssl));
    written_ += answered;
    SSL_free(ssl);
    ::close(fd);
  }
  ServerContext ctx_ = server_context();
  int listener_;
  std::uint16_t port_ = 0;
  std::atomic<int> failed_{0};
  std::atomic<std::uint64_t> read_{0}, written_{0};
  std::thread thread_;
};

struct Outcome {
  int connect_error = -1;
  std::string received;
};

runtime::Task<void> ask(net::TcpStream& stream, const net::ResolvedEndpoint& ep, std::size_t bytes, Outcome& out) {
  const runtime::Nanos deadline = runtime::now_ns() + 10 * runtime::kSecond;
  out.connect_error = co_await stream.connect(ep, deadline);
  if (out.connect_error != 0) co_return;
  const std::string request = std::to_string(bytes) + "\n";
  const runtime::ConstBuffer b{request.data(), request.size()};
  if (co_await stream.send(&b, 1, deadline) != 0) co_return;
  while (out.received.size() < bytes) {
    const net::RecvResult r = co_await stream.recv(deadline);
    if (r.status != net::RecvStatus::data) co_return;
    out.received.append(r.data, r.len);
  }
}

// One connection through `connector` on a reactor of its own.
Outcome ask_once(runtime::IoBackend io, Connector& connector, std::uint16_t port, std::size_t bytes) {
  auto reactor = runtime::make_reactor(runtime::choose_backend(io));
  Outcome out;
  net::TcpStream stream(*reactor);
  stream.set_opener(&connector);
  reactor->spawn(ask(stream, net::resolve("127.0.0.1", port), bytes, out));
  reactor->run();
  return out;
}

class TlsSocket : public ::testing::TestWithParam<runtime::IoBackend> {};

TEST_P(TlsSocket, HandshakesCarriesDataAndResumesOnTheNextConnection) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  TlsServer server(2);
  ClientOptions o;
  o.ca_file = pki().ca_file;
  Context ctx(o, "http/1.1");
  Connector connector(ctx, "localhost");
  auto reactor = runtime::make_reactor(runtime::choose_backend(GetParam()));
  const net::ResolvedEndpoint ep = net::resolve("127.0.0.1", server.port());
  Outcome first, second;
  {
    net::TcpStream stream(*reactor);
    stream.set_opener(&connector);
    reactor->spawn(ask(stream, ep, 100000, first));
    reactor->run();
    ASSERT_EQ(first.connect_error, 0) << connector.last().reason;
    EXPECT_EQ(first.received, std::string(100000, 'x'));
    const Handshake h = connector.last();
    EXPECT_EQ(std::string(version_tag(h.version)), "tls1.3");
    EXPECT_FALSE(h.resumed);
    EXPECT_GT(h.tcp_connected_at, 0);
    EXPECT_GT(h.done_at, h.tcp_connected_at);
    stream.close();
    // The same VU's next connection offers the session the server gave the first.
    reactor->spawn(ask(stream, ep, 10, second));
    reactor->run();
  }
  ASSERT_EQ(second.connect_error, 0) << connector.last().reason;
  EXPECT_EQ(second.received, std::string(10, 'x'));
  EXPECT_TRUE(connector.last().resumed);
  EXPECT_EQ(connector.full_handshakes(), 1u);
  EXPECT_EQ(connector.resumed_handshakes(), 1u);
  // The bytes on the wire, records and handshakes, as the server's own sockets counted them
  // (both connections were closed by the client, so the server has finished with them).
  reactor.reset();  // closes the connection, which io_uring does from its loop
  server.finish();
  EXPECT_EQ(connector.wire_bytes_sent(), server.wire_read());
  EXPECT_EQ(connector.wire_bytes_received(), server.wire_written());
  EXPECT_GT(connector.wire_bytes_received(), 100010u);
}

TEST_P(TlsSocket, AnUntrustedServerFailsTheConnectWithItsReason) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  TlsServer server(1);
  ClientOptions o;
  o.ca_file = pki().other_file;
  Context ctx(o, "http/1.1");
  Connector connector(ctx, "localhost");
  const Outcome out = ask_once(GetParam(), connector, server.port(), 10);
  EXPECT_EQ(out.connect_error, EPROTO);
  EXPECT_EQ(connector.last().failure, Failure::unknown_authority);
  EXPECT_EQ(connector.last().reason, "x509: certificate signed by unknown authority");
}

TEST_P(TlsSocket, APeerThatIsNotTlsOrHangsUpFailsTheConnect) {
  SKIP_IF_BACKEND_UNAVAILABLE(GetParam());
  for (const bool answers : {true, false}) {
    SCOPED_TRACE(answers ? "answers in plain HTTP" : "hangs up");
    std::uint16_t port = 0;
    const int listener = listen_on_loopback(port);
    std::thread peer([listener, answers] {
      const int fd = ::accept(listener, nullptr, nullptr);
      char hello[512];
      [[maybe_unused]] const ssize_t n = ::read(fd, hello, sizeof(hello));
      const char answer[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
      if (answers) [[maybe_unused]] const ssize_t w = ::write(fd, answer, sizeof(answer) - 1);
      ::close(fd);
    });
    ClientOptions o;
    o.ca_file = pki().ca_file;
    Context ctx(o, "http/1.1");
    Connector connector(ctx, "localhost");
    const Outcome out = ask_once(GetParam(), connector, port, 10);
    peer.join();
    ::close(listener);
    EXPECT_NE(out.connect_error, 0);
    EXPECT_EQ(connector.last().failure, Failure::handshake);
    EXPECT_FALSE(connector.last().reason.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Io, TlsSocket, ::testing::Values(runtime::IoBackend::uring, runtime::IoBackend::epoll),
                         [](const auto& info) { return info.param == runtime::IoBackend::uring ? "uring" : "epoll"; });

}  // namespace
}  // namespace inferload::tls
