#pragma once
// A bounded multi-producer, single-consumer ring of fixed-size records (D. Vyukov's bounded
// queue: each cell carries a sequence number that says whose turn it is). Producers claim a cell
// with one compare-and-swap and publish it with a release store; the consumer takes cells in
// claim order, so each producer's records come out in the order it pushed them. No lock, no
// allocation after construction.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace inferload::kafka {

template <typename T>
class CompletionQueue {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  // `capacity` is rounded up to a power of two.
  explicit CompletionQueue(std::size_t capacity) {
    std::size_t n = 2;
    while (n < capacity) n <<= 1;
    mask_ = n - 1;
    cells_ = std::make_unique<Cell[]>(n);
    for (std::size_t i = 0; i < n; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;

  std::size_t capacity() const noexcept { return mask_ + 1; }

  // Any thread. False when the ring is full.
  bool try_push(const T& value) noexcept {
    std::uint64_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& c = cells_[pos & mask_];
      const std::uint64_t seq = c.seq.load(std::memory_order_acquire);
      const auto lag = static_cast<std::int64_t>(seq - pos);
      if (lag == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          c.value = value;
          c.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (lag < 0) {
        return false;  // the consumer has not taken this cell's previous record yet
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  // The consumer's thread only. False when the next record is not published yet (the ring is
  // empty, or a producer that claimed the next cell has not finished writing it).
  bool try_pop(T& out) noexcept {
    Cell& c = cells_[head_ & mask_];
    const std::uint64_t seq = c.seq.load(std::memory_order_acquire);
    if (seq != head_ + 1) return false;
    out = c.value;
    c.seq.store(head_ + mask_ + 1, std::memory_order_release);
    ++head_;
    return true;
  }

 private:
  struct Cell {
    std::atomic<std::uint64_t> seq{0};
    T value{};
  };
  std::unique_ptr<Cell[]> cells_;
  std::size_t mask_ = 0;
  alignas(64) std::atomic<std::uint64_t> tail_{0};
  alignas(64) std::uint64_t head_ = 0;
};

}  // namespace inferload::kafka
