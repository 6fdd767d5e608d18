#include "inferload/runtime/frame_pool.hpp"

#include <new>

namespace inferload::runtime::frame_pool {
namespace {

constexpr std::size_t kGranule = 64;
constexpr std::size_t kClasses = 64;  // frames up to 4 KiB are recycled; larger ones are rare

struct FreeBlock {
  FreeBlock* next;
};

// A frame freed on another thread joins that thread's list; lists never share memory with
// each other, so no synchronisation is needed.
struct ThreadLists {
  FreeBlock* heads[kClasses] = {};
  ~ThreadLists() {
    for (FreeBlock*& head : heads) {
      while (head) {
        FreeBlock* next = head->next;
        ::operator delete(head);
        head = next;
      }
    }
  }
};

thread_local ThreadLists lists;

inline std::size_t size_class(std::size_t size) { return (size + kGranule - 1) / kGranule; }

}  // namespace

// Under AddressSanitizer frames go straight to the heap, so that a frame used after its
// coroutine ended is reported instead of silently recycled.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRecycle = false;
#else
constexpr bool kRecycle = true;
#endif

void* allocate(std::size_t size) {
  if (!kRecycle) return ::operator new(size);
  const std::size_t c = size_class(size);
  if (c >= kClasses) return ::operator new(size);
  if (FreeBlock* b = lists.heads[c]) {
    lists.heads[c] = b->next;
    return b;
  }
  return ::operator new(c * kGranule);
}

void deallocate(void* p, std::size_t size) noexcept {
  if (!kRecycle) {
    ::operator delete(p);
    return;
  }
  const std::size_t c = size_class(size);
  if (c >= kClasses) {
    ::operator delete(p);
    return;
  }
  auto* b = static_cast<FreeBlock*>(p);
  b->next = lists.heads[c];
  lists.heads[c] = b;
}

}  // namespace inferload::runtime::frame_pool
