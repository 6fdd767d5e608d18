#pragma once
// The part of a gather write that the kernel has not taken yet, shared by both backends: a
// short write moves the cursor instead of copying anything.
#include <sys/uio.h>

#include <cstddef>

#include "inferload/runtime/socket.hpp"

namespace inferload::runtime {

class PendingWrite {
 public:
  void assign(const ConstBuffer* buffers, std::size_t count) noexcept {
    for (std::size_t i = 0; i < count; ++i) {
      iov_[i].iov_base = const_cast<char*>(buffers[i].data);
      iov_[i].iov_len = buffers[i].size;
    }
    first_ = 0;
    count_ = count;
  }
  // Marks `written` bytes as sent; returns true when nothing is left.
  bool advance(std::size_t written) noexcept {
    while (first_ < count_ && written >= iov_[first_].iov_len) {
      written -= iov_[first_].iov_len;
      ++first_;
    }
    if (first_ == count_) return true;
    iov_[first_].iov_base = static_cast<char*>(iov_[first_].iov_base) + written;
    iov_[first_].iov_len -= written;
    return false;
  }
  bool done() const noexcept { return first_ == count_; }
  iovec* iov() noexcept { return iov_ + first_; }
  std::size_t iov_count() const noexcept { return count_ - first_; }

 private:
  iovec iov_[Socket::kMaxSendBuffers]{};
  std::size_t first_ = 0;
  std::size_t count_ = 0;
};

}  // namespace inferload::runtime
