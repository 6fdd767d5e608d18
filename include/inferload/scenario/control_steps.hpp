#pragma once
// The scheduler calls a lifecycle iteration makes (suite sections 1.6-1.8 and 5.2), as one VU
// makes them: every call is one of the suite's checks ("load model success", "model status
// success", ...) and a sample of scheduler_req_duration, and every wait for a state polls its
// status until the state is there, cannot come, or the wait's bound has passed. All of it goes
// into the worker's ControlMetrics, never into the data plane's metrics.
//
// A check passes when the call succeeds and, for a status poll, when the object is not in a state
// it cannot leave by waiting (ModelFailed, PipelineFailed, ...) and the wait is still within its
// bound: the last poll of a wait that ran out of time fails, as the state never came. While
// waiting for an end (ModelTerminated, PipelineTerminated, inactive), a scheduler that no longer
// knows the object (FAILED_PRECONDITION or NOT_FOUND) counts as that end.
#include <cstdint>
#include <string>

#include "inferload/runtime/reactor.hpp"
#include "inferload/runtime/task.hpp"
#include "inferload/scenario/protocol_metrics.hpp"
#include "inferload/scv2/control_plane.hpp"

namespace inferload::scenario {

using runtime::Nanos;

// How a wait for a state polls.
struct StateWaits {
  Nanos timeout = 10 * 60 * runtime::kSecond;  // the longest one wait may take (--wait-timeout)
  Nanos first_poll = 100 * runtime::kMillisecond;  // polls back off from here...
  Nanos max_poll = runtime::kSecond;               // ...to the suite's 1 s
};

enum class StepEnd : std::uint8_t {
  done,         // the call succeeded and the state it waits for came
  failed,       // a check failed: the iteration goes no further
  interrupted,  // a hard stop cut the step short
};

class ControlSteps {
 public:
  // `owner` is the VU: its hard stop ends its calls and its sleeps between polls. `shard`, when
  // given, takes each call's sample record.
  ControlSteps(scv2::SchedulerClient& client, runtime::Reactor& reactor, ControlMetrics& metrics,
               const StateWaits& waits, std::uint32_t owner, load::Shard* shard = nullptr);

  // LoadModel, then ModelStatus until ModelAvailable.
  runtime::Task<StepEnd> load_model(const scv2::ModelDefinition& model);
  // UnloadModel, then ModelStatus until ModelTerminated.
  runtime::Task<StepEnd> unload_model(const std::string& name);
  // LoadPipeline of a one-step pipeline of the same-named model, then PipelineStatus until
  // PipelineReady.
  runtime::Task<StepEnd> load_pipeline(const std::string& name);
  // UnloadPipeline, then PipelineStatus until PipelineTerminated.
  runtime::Task<StepEnd> unload_pipeline(const std::string& name);
  // StartExperiment, then ExperimentStatus until active.
  runtime::Task<StepEnd> start_experiment(const scv2::ExperimentDefinition& experiment);
  // StopExperiment, then ExperimentStatus until inactive.
  runtime::Task<StepEnd> stop_experiment(const std::string& name);

 private:
  enum class Goal : std::uint8_t {
    model_available,
    model_terminated,
    pipeline_ready,
    pipeline_terminated,
    experiment_active,
    experiment_inactive,
  };
  struct Observation;

  // A call's check, then, when it passed, the wait for the state it asked for.
  runtime::Task<StepEnd> then_wait(ControlCheck check, const scv2::RpcResult& r, Goal goal, const std::string& name);
  runtime::Task<StepEnd> wait_for(Goal goal, const std::string& name);
  runtime::Task<Observation> observe(Goal goal, const std::string& name);
  // Records the call and its check; the step's end when it ends here.
  bool record(ControlCheck check, const grpc::CallResult& call, bool passed, StepEnd& end) noexcept;

  scv2::ControlPlane plane_;
  runtime::Reactor& reactor_;
  ControlMetrics& metrics_;
  const StateWaits& waits_;
  std::uint32_t owner_;
  load::Shard* shard_;
};

}  // namespace inferload::scenario
