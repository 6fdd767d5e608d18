#pragma once
// Counts the heap allocations of a thread through the global operator new, while that thread's
// `counting` is set. Include it in one file of a test executable only: it replaces operator new
// and delete for the whole program. Allocations through malloc (OpenSSL's, librdkafka's) are not
// seen, and are not ours.
#include <cstdlib>
#include <new>

namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// GCC, inlining these into the standard library, takes the malloc'd block for one from the
// built-in operator new and warns of a mismatch that is not there: both sides are ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
