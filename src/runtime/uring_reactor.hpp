#pragma once
// io_uring backend: one ring per worker thread, batched submission (one io_uring_enter per loop
// turn carries every send, connect and re-arm of the turn), multishot receive into a shared
// provided-buffer ring (an idle connection holds no receive buffer).
#include <liburing.h>

#include <memory>
#include <string>
#include <vector>

#include "inferload/runtime/reactor.hpp"
#include "retired_sockets.hpp"

namespace inferload::runtime {

class UringSocket;

struct UringConfig {
  unsigned setup_flags = 0;
  bool multishot_recv = true;
  unsigned sq_entries = 2048;
  unsigned cq_entries = 16384;
  unsigned buffer_count = 512;   // power of two
  unsigned buffer_size = 16384;
};

class UringReactor final : public Reactor {
 public:
  explicit UringReactor(const UringConfig& config);  // throws std::system_error
  ~UringReactor() override;

  IoBackend backend() const noexcept override { return IoBackend::uring; }
  SocketPtr open_tcp(int family, SocketEvents& events, int& error) noexcept override;
  void release(Socket* s) noexcept override;

  // For UringSocket.
  io_uring_sqe* get_sqe() noexcept;
  bool multishot_recv() const noexcept { return multishot_; }
  static constexpr unsigned kBufferGroup = 1;
  static constexpr unsigned kCompletionBudget = 4096;  // completions handled per loop turn at most

 private:
  void wait_and_dispatch(Nanos deadline) override;
  void wake() noexcept override;
  void dispatch(std::uint64_t user_data, int res, unsigned flags) noexcept;
  // Looks for completions for up to kSpinFor before the loop would sleep; true when some arrived.
  bool spin_for_completions(Nanos deadline) noexcept;
  static constexpr Nanos kSpinFor = 20 * kMicrosecond;
  static constexpr Nanos kSpinWhileWaitsBelow = 50 * kMicrosecond;
  static constexpr std::size_t kSpinWhileWaitersUpTo = 16;  // requests in flight on this worker
  void arm_wake_read() noexcept;
  void recycle_buffer(unsigned id) noexcept;
  friend class UringSocket;

  UringConfig config_;
  io_uring ring_{};
  bool ring_ready_ = false;
  io_uring_buf_ring* buf_ring_ = nullptr;
  std::size_t buf_ring_bytes_ = 0;
  std::unique_ptr<char[]> buffers_;
  unsigned buf_mask_ = 0;
  bool multishot_ = true;
  int wake_fd_ = -1;
  std::uint64_t wake_value_ = 0;
  RetiredSockets<UringSocket> retired_;
  Nanos recent_wait_ = kSpinWhileWaitsBelow;  // moving average of waits for completions
};

// Opens a ring with `config`, registers a provided-buffer ring and checks multishot receive on a
// socket pair; fills `detail` with the flags in use. Returns 0 or the errno of the first failure
// (with `where` naming the call), so that the caller can decide to fall back.
int probe_uring(UringConfig& config, std::string& detail, std::string& where);

}  // namespace inferload::runtime
