#include "inferload/load/scenario_share.hpp"

namespace inferload::load {

ScenarioShare share_of(const ScenarioConfig& c, const SegmentShare& segment) {
  ScenarioShare s;
  s.vus = segment.share(c.vus);
  s.iterations = c.executor == ExecutorKind::shared_iterations
                     ? static_cast<std::uint64_t>(segment.for_value(c.vus).share(static_cast<std::int64_t>(c.iterations)))
                     : c.iterations;
  s.peak_vus = segment.share(c.peak_vus());
  s.pre_allocated_vus = segment.share(c.pre_allocated_vus);
  s.max_vus = segment.share(c.resolved_max_vus());
  const int max = c.resolved_max_vus();
  // An arrival rate's segment runs the iterations of its share of maxVUs.
  if (is_arrival_rate(c.executor)) s.rate_fraction = max > 0 ? static_cast<double>(s.max_vus) / max : 0.0;
  return s;
}

}  // namespace inferload::load
