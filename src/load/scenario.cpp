#include "inferload/load/scenario.hpp"

#include "inferload/runtime/duration.hpp"

#include <stdexcept>

namespace inferload::load {

const char* to_string(ExecutorKind k) noexcept {
  return k == ExecutorKind::shared_iterations ? "shared-iterations" : "constant-vus";
}

void ScenarioConfig::validate() const {
  if (vus <= 0) throw std::invalid_argument("the number of VUs must be more than 0");
  if (executor == ExecutorKind::shared_iterations) {
    if (iterations < static_cast<std::uint64_t>(vus)) {
      throw std::invalid_argument("the number of iterations (" + std::to_string(iterations) +
                                  ") can't be less than the number of VUs (" + std::to_string(vus) + ")");
    }
    if (duration < runtime::kSecond) {
      throw std::invalid_argument("the maxDuration (" + runtime::format_go_duration(duration) + ") must be at least 1s");
    }
  } else if (duration < runtime::kSecond) {
    throw std::invalid_argument("the duration (" + runtime::format_go_duration(duration) + ") must be at least 1s");
  }
}

std::string ScenarioConfig::describe() const {
  if (executor == ExecutorKind::shared_iterations) {
    return std::to_string(iterations) + " iterations shared among " + std::to_string(vus) + " VUs (maxDuration: " +
           runtime::format_go_duration(duration) + ", gracefulStop: " + runtime::format_go_duration(graceful_stop) + ")";
  }
  return std::to_string(vus) + " looping VUs for " + runtime::format_go_duration(duration) + " (gracefulStop: " + runtime::format_go_duration(graceful_stop) + ")";
}

}  // namespace inferload::load
