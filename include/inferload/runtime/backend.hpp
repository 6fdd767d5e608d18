#pragma once
// Which I/O backend runs, and why. io_uring is preferred; epoll (through Boost.Asio) takes over
// when the kernel or a seccomp profile refuses io_uring (Docker >= 25, containerd 2.x
// RuntimeDefault, GKE Autopilot, kernel.io_uring_disabled) or lacks what the reactor needs.
#include <memory>
#include <optional>
#include <string>

#include "inferload/runtime/reactor.hpp"

namespace inferload::runtime {

struct BackendChoice {
  IoBackend backend = IoBackend::epoll;
  // io_uring: the setup flags in use and the receive mode; epoll: why io_uring was not used.
  std::string detail;
  unsigned uring_setup_flags = 0;
  bool uring_multishot_recv = false;
};

// Probes the kernel once (on the calling thread). With `forced` set, that backend is used or,
// for io_uring, std::runtime_error explains why it cannot be.
BackendChoice choose_backend(std::optional<IoBackend> forced);

// A reactor for the calling thread (io_uring rings with SINGLE_ISSUER belong to the thread that
// creates them). Throws std::runtime_error if it cannot be built.
std::unique_ptr<Reactor> make_reactor(const BackendChoice& choice);

}  // namespace inferload::runtime
