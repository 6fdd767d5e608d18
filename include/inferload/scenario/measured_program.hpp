#pragma once
// A scenario program whose workers record each protocol's metrics, one WorkerMeasures per
// worker: what the report reads from every program after the run, whatever its iterations do.
#include <cstdint>
#include <memory>
#include <vector>

#include "inferload/load/program.hpp"
#include "inferload/scenario/protocol_metrics.hpp"

namespace inferload::scenario {

// Written by its worker's thread only, read after the run.
struct WorkerMeasures {
  ProtocolShard metrics;
  std::uint64_t grpc_connections_opened = 0;  // the data plane's
};

class MeasuredProgram : public load::Program {
 public:
  void prepare(int workers) override;

  // After the run: every worker's metrics, merged.
  ProtocolShard totals() const;
  std::uint64_t grpc_connections_opened() const;

 protected:
  WorkerMeasures& measures(int worker) { return *measures_[static_cast<std::size_t>(worker)]; }

 private:
  std::vector<std::unique_ptr<WorkerMeasures>> measures_;
};

}  // namespace inferload::scenario
