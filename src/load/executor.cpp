#include "inferload/load/executor.hpp"

#include "executors.hpp"

namespace inferload::load {

std::unique_ptr<Executor> make_executor(const ScenarioConfig& c, const SegmentShare& segment) {
  switch (c.executor) {
    case ExecutorKind::shared_iterations: return make_shared_iterations(c, segment);
    case ExecutorKind::per_vu_iterations: return make_per_vu_iterations(c, segment);
    case ExecutorKind::constant_vus: return make_constant_vus(c, segment);
    case ExecutorKind::ramping_vus: return make_ramping_vus(c, segment);
    case ExecutorKind::constant_arrival_rate:
    case ExecutorKind::ramping_arrival_rate: return make_arrival_rate(c, segment);
  }
  return nullptr;
}

}  // namespace inferload::load
