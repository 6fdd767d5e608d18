#pragma once
// The open-file limit (RLIMIT_NOFILE) against the sockets a run needs: every connection is a
// descriptor, and a VU without one fails every request.
#include <cstdint>
#include <string>

namespace inferload::app {

// Descriptors besides the connections: stdio, result files, the signalfd, the engine's eventfd.
inline constexpr std::uint64_t kProcessDescriptors = 32;
// A ring or an epoll instance and its wake-up eventfd, with room to spare.
inline constexpr std::uint64_t kDescriptorsPerWorker = 4;

std::uint64_t descriptors_needed(std::uint64_t vus, std::uint64_t connections_per_vu, std::uint64_t workers);

// The warning line (without the "inferload: " prefix) when `needed` exceeds `limit`, else "".
std::string open_file_warning(std::uint64_t vus, std::uint64_t needed, std::uint64_t limit);

// Raises the soft limit towards `needed`, up to the hard limit (Go raises it to the hard limit
// at start, so k6 runs where a plain C++ program would not); returns the soft limit in force.
std::uint64_t raise_open_file_limit(std::uint64_t needed);

}  // namespace inferload::app
