#include "inferload/runtime/backend.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "asio_reactor.hpp"
#include "uring_reactor.hpp"

namespace inferload::runtime {
namespace {

// kernel.io_uring_disabled (Linux >= 6.6): 0 allowed, 1 only for a privileged group, 2 disabled.
std::string io_uring_sysctl_note() {
  std::ifstream f("/proc/sys/kernel/io_uring_disabled");
  int v = 0;
  if (f >> v && v != 0) return " (kernel.io_uring_disabled=" + std::to_string(v) + ")";
  return {};
}

}  // namespace

BackendChoice choose_backend(std::optional<IoBackend> forced) {
  BackendChoice c;
  if (forced && *forced == IoBackend::epoll) {
    c.backend = IoBackend::epoll;
    c.detail = "chosen with --io epoll";
    return c;
  }
  UringConfig config;
  std::string detail, where;
  const int err = probe_uring(config, detail, where);
  if (err == 0) {
    c.backend = IoBackend::uring;
    c.detail = detail;
    c.uring_setup_flags = config.setup_flags;
    c.uring_multishot_recv = config.multishot_recv;
    return c;
  }
  // EPERM, EACCES and ENOSYS are how seccomp profiles and the sysctl refuse io_uring; any other
  // failure (old kernel, memory limits) is as good a reason not to use it.
  const std::string reason =
      "io_uring unavailable: " + where + ": " + std::strerror(err) + io_uring_sysctl_note();
  if (forced) throw std::runtime_error("--io uring: " + reason);
  c.backend = IoBackend::epoll;
  c.detail = reason;
  return c;
}

std::unique_ptr<Reactor> make_reactor(const BackendChoice& choice) {
  if (choice.backend == IoBackend::epoll) return std::make_unique<AsioReactor>();
  UringConfig config;
  config.setup_flags = choice.uring_setup_flags;
  config.multishot_recv = choice.uring_multishot_recv;
  try {
    return std::make_unique<UringReactor>(config);
  } catch (const std::system_error& e) {
    throw std::runtime_error(std::string("io_uring reactor: ") + e.what());
  }
}

}  // namespace inferload::runtime
