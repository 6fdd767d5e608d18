#pragma once
// A scenario in k6's sense: a name, an executor with its options, and when it starts and how
// long its iterations may overrun (k6-semantics.md sections 2.1-2.2). Which fields matter depends
// on the executor; the others keep their defaults and are ignored.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "inferload/load/execution_segment.hpp"
#include "inferload/runtime/clock.hpp"

namespace inferload::load {

using runtime::Nanos;

enum class ExecutorKind {
  shared_iterations,
  per_vu_iterations,
  constant_vus,
  ramping_vus,
  constant_arrival_rate,
  ramping_arrival_rate,
};
// k6's name of the executor ("constant-arrival-rate").
const char* to_string(ExecutorKind k) noexcept;
// The executor named as k6 names it; false for any other name (externally-controlled included).
bool executor_from_string(const std::string& name, ExecutorKind& out) noexcept;

inline bool is_arrival_rate(ExecutorKind k) noexcept {
  return k == ExecutorKind::constant_arrival_rate || k == ExecutorKind::ramping_arrival_rate;
}

// One {duration, target} of ramping-vus (target: VUs) or ramping-arrival-rate (target:
// iterations per time unit).
struct Stage {
  Nanos duration = 0;
  std::int64_t target = 0;
};

struct ScenarioConfig {
  std::string name = "default";
  ExecutorKind executor = ExecutorKind::constant_vus;
  Nanos start_time = 0;
  Nanos graceful_stop = 30 * runtime::kSecond;
  std::map<std::string, std::string> tags;  // added to every sample of the scenario

  // shared-iterations, per-vu-iterations, constant-vus.
  int vus = 1;
  // shared-iterations: the total the VUs share; per-vu-iterations: each VU's.
  std::uint64_t iterations = 1;
  // constant-vus, constant-arrival-rate: duration; shared/per-vu-iterations: maxDuration.
  Nanos duration = 0;

  // ramping-vus: start_vus, stages (targets are VUs), graceful_ramp_down.
  // ramping-arrival-rate: rate is startRate, stages' targets are rates.
  int start_vus = 1;
  std::vector<Stage> stages;
  Nanos graceful_ramp_down = 30 * runtime::kSecond;

  // constant-arrival-rate (rate) and ramping-arrival-rate (rate = startRate), per time_unit.
  std::int64_t rate = 0;
  Nanos time_unit = runtime::kSecond;
  int pre_allocated_vus = 0;
  int max_vus = -1;  // -1: not given, as many as pre_allocated_vus (k6's default)

  // k6's validation (lib/executor/*.go). Throws std::invalid_argument with k6's wording, naming
  // the option at fault.
  void validate() const;
  // The line k6 prints under "scenarios:", e.g.
  // "100000 iterations shared among 5 VUs (maxDuration: 2h0m0s, gracefulStop: 30s)", with the
  // numbers of `segment`'s share of the test, as k6 prints an instance's.
  std::string describe(const SegmentShare& segment = SegmentShare()) const;
  // After how long (from the scenario's own start) no new iteration may begin: k6's R.
  Nanos regular_duration() const noexcept;
  // The most VUs the scenario ever has: vus, max(start_vus, targets) or max_vus.
  int peak_vus() const noexcept;
  // maxVUs as k6 resolves it (pre_allocated_vus when not given).
  int resolved_max_vus() const noexcept { return max_vus >= 0 ? max_vus : pre_allocated_vus; }
};

}  // namespace inferload::load
