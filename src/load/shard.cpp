#include "inferload/load/shard.hpp"

namespace inferload::load {

void Shard::record_iteration(runtime::Nanos duration) noexcept {
  ++iterations;
  iteration_duration.record(duration);
  live_iterations.add();
}

void Shard::record_interrupted_iteration() noexcept {
  ++iterations_interrupted;
  live_interrupted.add();
}

void Shard::merge(const Shard& o) noexcept {
  iteration_duration.merge(o.iteration_duration);
  iterations += o.iterations;
  iterations_interrupted += o.iterations_interrupted;
  iterations_started += o.iterations_started;
  dropped_iterations += o.dropped_iterations;
  schedule_lateness.merge(o.schedule_lateness);
  preconnect_asked += o.preconnect_asked;
  preconnect_opened += o.preconnect_opened;
  data.merge(o.data);
  requests.merge(o.requests);
}

}  // namespace inferload::load
