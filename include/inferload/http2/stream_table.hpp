#pragma once
// The streams of one connection by id: open addressing with linear probing and backward-shift
// deletion, sized once for the most streams the connection may have open, so that looking up
// the stream of every received frame never allocates and never chases a list.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace inferload::http2 {

template <class T>
class StreamTable {
 public:
  // Room for `max_entries` at once, at a load factor of at most one half.
  explicit StreamTable(std::size_t max_entries = 8) { reserve(max_entries); }

  // Grows (rehashing) when the connection may now hold more streams; never shrinks.
  void reserve(std::size_t max_entries) {
    std::size_t cap = 16;
    while (cap < 2 * max_entries) cap *= 2;
    if (cap <= slots_.size()) return;
    std::vector<Slot> old(cap);
    old.swap(slots_);
    mask_ = cap - 1;
    size_ = 0;
    for (const Slot& s : old) {
      if (s.id != 0) insert(s.id, s.value);
    }
  }

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return slots_.size() / 2; }

  // `id` must not be in the table, and size() < capacity().
  void insert(std::uint32_t id, T* value) noexcept {
    std::size_t i = home(id);
    while (slots_[i].id != 0) i = (i + 1) & mask_;
    slots_[i] = {id, value};
    ++size_;
  }

  T* find(std::uint32_t id) const noexcept {
    for (std::size_t i = home(id);; i = (i + 1) & mask_) {
      if (slots_[i].id == id) return slots_[i].value;
      if (slots_[i].id == 0) return nullptr;
    }
  }

  void erase(std::uint32_t id) noexcept {
    std::size_t i = home(id);
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].id == 0) return;
      if (slots_[i].id == id) break;
    }
    // Backward shift: every later entry of the probe run that may move into the hole does, so
    // that no lookup ever stops early at an emptied slot.
    for (std::size_t j = i;;) {
      slots_[i] = {};
      for (;;) {
        j = (j + 1) & mask_;
        if (slots_[j].id == 0) {
          --size_;
          return;
        }
        const std::size_t k = home(slots_[j].id);
        // Entry j may fill hole i only if its home is not cyclically in (i, j].
        const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) break;
      }
      slots_[i] = slots_[j];
      i = j;
    }
  }

  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.id != 0) f(s.id, s.value);
    }
  }

 private:
  struct Slot {
    std::uint32_t id = 0;  // 0: empty (stream 0 is the connection, never a stream)
    T* value = nullptr;
  };
  // Client stream ids are odd and consecutive: id >> 1 spreads them over the slots evenly.
  std::size_t home(std::uint32_t id) const noexcept { return (id >> 1) & mask_; }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace inferload::http2
