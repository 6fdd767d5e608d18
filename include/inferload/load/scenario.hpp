#pragma once
// A scenario in k6's sense: an executor and its options. Only the shapes k6 derives from the
// command-line shortcuts exist so far: -i gives shared-iterations, -d alone gives constant-vus.
#include <cstdint>
#include <string>

#include "inferload/runtime/clock.hpp"

namespace inferload::load {

using runtime::Nanos;

enum class ExecutorKind { shared_iterations, constant_vus };
const char* to_string(ExecutorKind k) noexcept;

struct ScenarioConfig {
  std::string name = "default";
  ExecutorKind executor = ExecutorKind::constant_vus;
  int vus = 1;
  std::uint64_t iterations = 0;  // shared-iterations: the total the VUs share
  Nanos duration = 0;            // constant-vus: duration; shared-iterations: maxDuration
  Nanos graceful_stop = 30 * runtime::kSecond;

  // k6's validation (lib/executor/*.go). Throws std::invalid_argument with k6's wording.
  void validate() const;
  // The line k6 prints under "scenarios:", e.g.
  // "100000 iterations shared among 5 VUs (maxDuration: 2h0m0s, gracefulStop: 30s)".
  std::string describe() const;
};

}  // namespace inferload::load
