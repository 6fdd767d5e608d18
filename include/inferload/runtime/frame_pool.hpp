#pragma once
// Recycles coroutine frames per thread, so that calling a coroutine on the hot path (one per
// request) costs a free-list pop instead of a malloc once the first few frames exist.
#include <cstddef>

namespace inferload::runtime::frame_pool {

void* allocate(std::size_t size);
void deallocate(void* p, std::size_t size) noexcept;

}  // namespace inferload::runtime::frame_pool
