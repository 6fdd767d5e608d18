#pragma once
// What one segment of a split test runs of a scenario (k6-semantics.md 3.5), in the numbers k6
// shows for one instance: its header line and its progress bar.
#include <cstdint>

#include "inferload/load/execution_segment.hpp"
#include "inferload/load/scenario.hpp"

namespace inferload::load {

struct ScenarioShare {
  std::int64_t vus = 0;          // shared-iterations, per-vu-iterations, constant-vus
  std::uint64_t iterations = 0;  // shared-iterations: the segment's; per-vu-iterations: each VU's
  std::int64_t peak_vus = 0;     // the most VUs at once (ramping-vus: of its stages)
  std::int64_t pre_allocated_vus = 0;
  std::int64_t max_vus = 0;
  double rate_fraction = 1.0;  // arrival rates: the part of the rate (its share of maxVUs)
};

ScenarioShare share_of(const ScenarioConfig& c, const SegmentShare& segment);

}  // namespace inferload::load
