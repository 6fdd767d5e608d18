#pragma once
// Loopback sockets for tests: bound to 127.0.0.1 on a port the kernel picks.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace inferload::test {

// A socket bound to 127.0.0.1:0, listening when `backlog` > 0; `port` receives the port.
inline int bind_loopback(std::uint16_t& port, int backlog) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  if (backlog > 0) ::listen(fd, backlog);
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// A port nothing listens on (bound, then released).
inline std::uint16_t unused_port() {
  std::uint16_t port = 0;
  ::close(bind_loopback(port, 0));
  return port;
}

}  // namespace inferload::test
