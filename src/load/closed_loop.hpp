#pragma once
// The loop of a closed-loop VU: the next iteration starts as soon as the last one ended, for as
// long as the executor's `more(vu)` allows.
#include <algorithm>

#include "inferload/load/executor.hpp"

namespace inferload::load {

// Pauses between attempts while the process is out of sockets: 10 ms, doubling to 1 s.
class ResourceBackoff {
 public:
  Nanos next() noexcept {
    const Nanos d = delay_;
    delay_ = std::min(delay_ * 2, kMax);
    return d;
  }
  void reset() noexcept { delay_ = kFirst; }

 private:
  static constexpr Nanos kFirst = 10 * runtime::kMillisecond;
  static constexpr Nanos kMax = runtime::kSecond;
  Nanos delay_ = kFirst;
};

template <class More>
runtime::Task<void> closed_loop(ExecutorHost& host, Vu& vu, More more) {
  ResourceBackoff backoff;
  while (host.may_start() && more(vu)) {
    const Nanos started = host.begin_iteration(vu, IterationStart{});
    const IterationEnd end = co_await vu.program->iterate(IterationStart{});
    host.end_iteration(vu, started, end);
    if (end == IterationEnd::interrupted) break;
    // Out of descriptors, a retry fails at once and without a single suspension: looping on it
    // would starve every other VU of this worker (and recurse through the coroutine chain). The
    // VU sleeps instead, longer each time, until sockets are to be had again.
    if (end != IterationEnd::out_of_resources) {
      backoff.reset();
    } else if (co_await runtime::sleep_until(host.reactor(), host.reactor().clock() + backoff.next(), vu.id.owner) ==
               runtime::FireReason::interrupted) {
      break;
    }
  }
}

}  // namespace inferload::load
