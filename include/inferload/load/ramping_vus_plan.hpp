#pragma once
// ramping-vus: how many VUs are active when (k6-semantics.md section 2.2, k6's
// getRawExecutionSteps), in integer nanoseconds with k6's truncating divisions.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "inferload/load/scenario.hpp"
#include "inferload/runtime/clock.hpp"

namespace inferload::load {

struct VuStep {
  Nanos at = 0;  // offset from the scenario's start
  std::int64_t active = 0;
};

// Every change of the number of active VUs, in time order, generated lazily so that a ramp to
// 100,000,000 VUs costs nothing up front. Several changes at the same instant (a fast ramp, a
// zero-length stage, a stage ending where the next one jumps) come out as ONE step carrying the
// count after the last of them, and an instant whose changes cancel out gives no step. The first
// step is at 0: start_vus, or what zero-length stages at the very start make of it.
// Negative VU counts and durations count as 0.
class RampingVusSteps {
 public:
  RampingVusSteps(std::int64_t start_vus, const std::vector<Stage>& stages);
  bool next(VuStep& step) noexcept;

 private:
  // One change, or a run of them within one ramp that share their nanosecond.
  bool next_change(VuStep& step) noexcept;

  std::vector<Stage> stages_;
  std::size_t stage_ = 0;
  bool in_ramp_ = false;
  bool up_ = false;
  Nanos end_ = 0;           // end of the current stage
  Nanos length_ = 0;        // of the current stage
  std::int64_t target_ = 0;
  std::int64_t span_ = 0;   // |target - count at the stage's start|
  std::int64_t cursor_ = 0; // up: next VU number to add; down: current count
  std::int64_t active_ = 0;

  bool started_ = false;
  bool has_peek_ = false;
  VuStep peek_;
  std::int64_t emitted_ = 0;  // the count of the last step returned
};

// The most VUs ever active: max(start_vus, stage targets).
std::int64_t peak_vus(std::int64_t start_vus, const std::vector<Stage>& stages) noexcept;

// How many of VU numbers 1..global_active have (u - 1) % workers == worker: one worker's share.
inline std::int64_t worker_share(std::int64_t global_active, int worker, int workers) noexcept {
  if (global_active <= worker || workers < 1 || worker < 0) return 0;
  return (global_active - 1 - worker) / workers + 1;
}

}  // namespace inferload::load
