#pragma once
// Sockets their owner has released but that the kernel (io_uring) or Asio may still complete
// operations for. A socket is freed only once no operation of it is in flight, and never during
// the loop turn in which it was released, so a completion being handled never touches freed
// memory.
#include <cstdint>
#include <vector>

namespace inferload::runtime {

// Embedded in each backend's socket.
struct SocketLifetime {
  std::uint32_t inflight = 0;  // operations started whose last completion has not arrived
  bool released = false;
  bool buried = false;
};

// S has a public member `SocketLifetime life`.
template <typename S>
class RetiredSockets {
 public:
  RetiredSockets() = default;
  RetiredSockets(const RetiredSockets&) = delete;
  RetiredSockets& operator=(const RetiredSockets&) = delete;
  ~RetiredSockets() {
    free_settled();
    for (S* s : waiting_) delete s;
  }

  void release(S* s) {
    s->life.released = true;
    if (s->life.inflight == 0) bury(s);
    else waiting_.push_back(s);
  }
  // Called after an operation of `s` completed.
  void settle(S* s) {
    if (s->life.released && s->life.inflight == 0) bury(s);
  }
  // At the end of a loop turn.
  void free_settled() {
    for (S* s : settled_) delete s;
    settled_.clear();
  }

 private:
  void bury(S* s) {
    if (s->life.buried) return;
    s->life.buried = true;
    settled_.push_back(s);
    for (auto& w : waiting_) {
      if (w == s) {
        w = waiting_.back();
        waiting_.pop_back();
        break;
      }
    }
  }

  std::vector<S*> settled_;  // released and settled: freed after this loop turn
  std::vector<S*> waiting_;  // released, waiting for their last completions
};

}  // namespace inferload::runtime
