#pragma once
// What one iteration of the suite's lifecycle scripts does (sections 1.6-1.8), through the
// scheduler and without setupBase: each iteration has a number of its own, n, and
//  - load_predict_unload: loads model MODELNAME_PREFIX[0]+n (waits for ModelAvailable), calls it
//    INFER_HTTP_ITERATIONS times over REST, then INFER_GRPC_ITERATIONS times over gRPC on a new
//    connection, and unloads it (waits for ModelTerminated);
//  - pipeline: the same with a one-step pipeline of the same name, loaded after the model (waits
//    for PipelineReady), called as <name>.pipeline, unloaded after the model (waits for
//    PipelineTerminated);
//  - experiment: loads models <prefix>n_1 and <prefix>n_2 and starts experiment
//    EXPERIMENTNAME_PREFIX+n over them (default model 1, candidates 50/50; waits until active),
//    calls model 1, then unloads both models and stops the experiment (waits until inactive).
// SKIP_LOAD_MODEL, SKIP_INFER and SKIP_UNLOAD_MODEL (for the experiment SKIP_LOAD_EXPERIMENT and
// SKIP_UNLOAD_EXPERIMENT) leave their part out. A model's storage URI is the catalogue's for the
// VU's id in the test (iris: copy id mod 10), with MODEL_MEMORY_BYTES[0] and MODEL_NUM_REPLICAS[0].
//
// n is k6's scenario.iterationInTest: one counter of the scenario, shared by its workers, so n
// runs 0, 1, 2, ... across every VU of every worker (one atomic increment per iteration, next
// to several scheduler round trips); in a segment of a split test the counter's k-th value is
// the segment's k-th own number (load::WorkerContext::iterations), so that no two processes load
// a model of the same name. Each worker keeps one scheduler connection for its VUs.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "inferload/scenario/control_steps.hpp"
#include "inferload/scenario/infer_program.hpp"
#include "inferload/scenario/measured_program.hpp"
#include "inferload/scv2/scripts.hpp"

namespace inferload::scenario {

struct LifecyclePlan {
  scv2::IterationKind kind = scv2::IterationKind::model_lifecycle;
  // The inference calls: a table whose model i is the one iteration i addresses
  // (scv2::script_models), http_iterations REST calls then grpc_iterations gRPC calls (0: none).
  InferPlan data;
  bool load = true;    // not SKIP_LOAD_MODEL (experiment: SKIP_LOAD_EXPERIMENT)
  bool unload = true;  // not SKIP_UNLOAD_MODEL (experiment: SKIP_UNLOAD_EXPERIMENT)
  std::string model_type;         // MODEL_TYPE[0]
  std::string model_prefix;       // MODELNAME_PREFIX[0]
  std::string experiment_prefix;  // EXPERIMENTNAME_PREFIX
  std::uint64_t memory_bytes = 0;  // MODEL_MEMORY_BYTES[0]
  std::uint32_t replicas = 1;      // MODEL_NUM_REPLICAS[0]
  // The scheduler (needed only when the iterations load or unload).
  net::ResolvedEndpoint scheduler;
  std::string scheduler_authority;  // SCHEDULER_ENDPOINT as given
  Nanos rpc_timeout = 120 * runtime::kSecond;
  StateWaits waits;
};

class LifecycleProgram final : public MeasuredProgram {
 public:
  explicit LifecycleProgram(LifecyclePlan plan);
  ~LifecycleProgram() override;

  std::unique_ptr<load::WorkerProgram> make_worker(const load::WorkerContext& ctx) override;

  const LifecyclePlan& plan() const noexcept { return plan_; }
  // The next iteration's number within this process (k6's scenario.iterationInTest when the
  // test is not split), from any worker.
  std::uint64_t next_iteration() noexcept { return next_iteration_.fetch_add(1, std::memory_order_relaxed); }

 private:
  LifecyclePlan plan_;
  std::atomic<std::uint64_t> next_iteration_{0};
};

}  // namespace inferload::scenario
