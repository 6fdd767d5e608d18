#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "inferload/net/endpoint.hpp"

namespace inferload::net {

int probe_connect(const ResolvedEndpoint& ep, long long timeout_ns) {
  const int fd = ::socket(ep.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return errno;
  int err = 0;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.addr_len) != 0) {
    err = errno;
    if (err == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int ms = static_cast<int>((timeout_ns + 999'999) / 1'000'000);
      const int n = ::poll(&p, 1, ms);
      if (n == 0) {
        err = ETIMEDOUT;
      } else if (n < 0) {
        err = errno;
      } else {
        socklen_t len = sizeof(err);
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        // A reset arrives only after the handshake completed (nothing listening answers the SYN
        // with ECONNREFUSED): the server is there and dropped us, which the run must count.
        if (err == ECONNRESET || err == EPIPE) err = 0;
      }
    }
  }
  ::close(fd);
  return err;
}

}  // namespace inferload::net
