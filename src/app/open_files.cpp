#include "inferload/app/open_files.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace inferload::app {

std::uint64_t descriptors_needed(std::uint64_t vus, std::uint64_t connections_per_vu, std::uint64_t workers) {
  return vus * connections_per_vu + kProcessDescriptors + workers * kDescriptorsPerWorker;
}

std::string open_file_warning(std::uint64_t vus, std::uint64_t needed, std::uint64_t limit) {
  if (needed <= limit) return "";
  return "warning: " + std::to_string(vus) + (vus == 1 ? " VU needs" : " VUs need") + " about " +
         std::to_string(needed) + " open files but the open-file limit (ulimit -n) is " + std::to_string(limit) +
         "; connections beyond it will fail";
}

std::uint64_t raise_open_file_limit(std::uint64_t needed) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return needed;  // unknown: nothing to warn about
  if (rl.rlim_cur == RLIM_INFINITY) return needed;
  if (needed > rl.rlim_cur && rl.rlim_max != rl.rlim_cur) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max == RLIM_INFINITY ? needed : std::min<rlim_t>(rl.rlim_max, needed);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  return rl.rlim_cur;
}

}  // namespace inferload::app
