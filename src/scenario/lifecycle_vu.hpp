#pragma once
// What the lifecycle scripts' workers and VUs share: the worker's scheduler client (made when the
// worker starts, closed after its last VU has ended), and each VU's model definition, control
// steps and inference calls. Each script's iteration is its own VU class.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "inferload/http1/client.hpp"
#include "inferload/scenario/lifecycle_program.hpp"
#include "inferload/scv2/catalogue.hpp"
#include "inferload/scv2/grpc_targets.hpp"

namespace inferload::scenario {

class LifecycleWorker final : public load::WorkerProgram {
 public:
  LifecycleWorker(LifecycleProgram& program, const load::WorkerContext& ctx, WorkerMeasures& state);
  std::unique_ptr<load::VuProgram> make_vu(const load::VuIdentity& id) override;
  runtime::Task<void> start() override;
  runtime::Task<void> finish() override;

  // The next iteration's number, unique across the segments of a split test.
  std::uint64_t next_iteration_in_test() noexcept { return iterations.global_index(program.next_iteration()); }

  LifecycleProgram& program;
  const LifecyclePlan& plan;
  runtime::Reactor& reactor;
  load::Shard& shard;
  WorkerMeasures& state;
  const load::SegmentShare& iterations;  // the scenario's iteration numbers in this segment
  // Its connection belongs to this worker's reactor; null when the iterations neither load nor
  // unload.
  std::unique_ptr<scv2::SchedulerClient> scheduler;
};

class LifecycleVu : public load::VuProgram {
 protected:
  LifecycleVu(LifecycleWorker& w, const load::VuIdentity& id);
  ~LifecycleVu() override;

  // The model this VU loads, named `name`: the catalogue's spec for the VU's id in the test.
  scv2::ModelDefinition model(std::string name) const;
  // The iteration's inference calls to `pick`: the REST calls, then the gRPC calls on a
  // connection of their own.
  runtime::Task<load::IterationEnd> infer(scv2::ModelPick pick, load::IterationStart start);
  // A failed step ends the iteration early but whole: k6 counts it like any other.
  static load::IterationEnd end_of(StepEnd e) noexcept {
    return e == StepEnd::interrupted ? load::IterationEnd::interrupted : load::IterationEnd::completed;
  }

  LifecycleWorker& w_;
  const LifecyclePlan& plan_;
  std::optional<ControlSteps> steps_;  // when the iterations load or unload

 private:
  std::uint32_t owner_;
  scv2::ModelSpecDefaults spec_;
  scv2::Rng rng_;
  std::unique_ptr<http1::Client> rest_client_;
  std::optional<scv2::RestRequestBuffer> rest_buffer_;
  std::optional<scv2::GrpcRequestBuffer> grpc_buffer_;
  std::optional<grpc::MessageReader> reader_;
  std::unique_ptr<tls::Connector> grpc_tls_;
};

std::unique_ptr<load::VuProgram> make_model_lifecycle_vu(LifecycleWorker& w, const load::VuIdentity& id);
std::unique_ptr<load::VuProgram> make_experiment_vu(LifecycleWorker& w, const load::VuIdentity& id);

}  // namespace inferload::scenario
