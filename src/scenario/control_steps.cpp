#include "inferload/scenario/control_steps.hpp"

#include <algorithm>

namespace inferload::scenario {

struct ControlSteps::Observation {
  grpc::CallResult call;
  bool answered = false;  // the call told where the object is
  bool reached = false;   // in the state waited for
  bool failed = false;    // in a state it does not leave by waiting
};

ControlSteps::ControlSteps(scv2::SchedulerClient& client, runtime::Reactor& reactor, ControlMetrics& metrics,
                           const StateWaits& waits, std::uint32_t owner, load::Shard* shard)
    : plane_(client, scv2::ControlApi::scheduler, owner),
      reactor_(reactor),
      metrics_(metrics),
      waits_(waits),
      owner_(owner),
      shard_(shard) {}

bool ControlSteps::record(ControlCheck check, const grpc::CallResult& call, bool passed, StepEnd& end) noexcept {
  if (record_control(metrics_, check, call, passed, shard_) == metrics::RequestFate::interrupted) {
    end = StepEnd::interrupted;
    return true;
  }
  if (!passed) {
    end = StepEnd::failed;
    return true;
  }
  return false;
}

runtime::Task<StepEnd> ControlSteps::load_model(const scv2::ModelDefinition& model) {
  const scv2::RpcResult r = co_await plane_.load_model(model);
  co_return co_await then_wait(ControlCheck::load_model, r, Goal::model_available, model.name);
}

runtime::Task<StepEnd> ControlSteps::unload_model(const std::string& name) {
  const scv2::RpcResult r = co_await plane_.unload_model(name);
  co_return co_await then_wait(ControlCheck::unload_model, r, Goal::model_terminated, name);
}

runtime::Task<StepEnd> ControlSteps::load_pipeline(const std::string& name) {
  const scv2::RpcResult r = co_await plane_.load_pipeline(name, name);
  co_return co_await then_wait(ControlCheck::pipeline_load, r, Goal::pipeline_ready, name);
}

runtime::Task<StepEnd> ControlSteps::unload_pipeline(const std::string& name) {
  const scv2::RpcResult r = co_await plane_.unload_pipeline(name);
  co_return co_await then_wait(ControlCheck::pipeline_unload, r, Goal::pipeline_terminated, name);
}

runtime::Task<StepEnd> ControlSteps::start_experiment(const scv2::ExperimentDefinition& experiment) {
  const scv2::RpcResult r = co_await plane_.start_experiment(experiment);
  co_return co_await then_wait(ControlCheck::start_experiment, r, Goal::experiment_active, experiment.name);
}

runtime::Task<StepEnd> ControlSteps::stop_experiment(const std::string& name) {
  const scv2::RpcResult r = co_await plane_.stop_experiment(name);
  co_return co_await then_wait(ControlCheck::stop_experiment, r, Goal::experiment_inactive, name);
}

runtime::Task<StepEnd> ControlSteps::then_wait(ControlCheck check, const scv2::RpcResult& r, Goal goal,
                                                const std::string& name) {
  StepEnd end = StepEnd::done;
  if (record(check, r.call, r.ok(), end)) co_return end;
  co_return co_await wait_for(goal, name);
}

runtime::Task<StepEnd> ControlSteps::wait_for(Goal goal, const std::string& name) {
  const ControlCheck check = goal == Goal::model_available || goal == Goal::model_terminated       ? ControlCheck::model_status
                             : goal == Goal::pipeline_ready || goal == Goal::pipeline_terminated ? ControlCheck::pipeline_status
                                                                                                  : ControlCheck::experiment_status;
  const Nanos deadline = reactor_.clock() + waits_.timeout;
  Nanos poll = waits_.first_poll;
  for (;;) {
    const Observation seen = co_await observe(goal, name);
    const bool in_time = reactor_.clock() < deadline;
    StepEnd end = StepEnd::done;
    if (record(check, seen.call, seen.answered && !seen.failed && (seen.reached || in_time), end)) co_return end;
    if (seen.reached) co_return StepEnd::done;
    const Nanos until = std::min(reactor_.clock() + poll, deadline);
    poll = std::min(poll * 2, waits_.max_poll);
    if (co_await runtime::sleep_until(reactor_, until, owner_) == runtime::FireReason::interrupted) {
      co_return StepEnd::interrupted;
    }
  }
}

runtime::Task<ControlSteps::Observation> ControlSteps::observe(Goal goal, const std::string& name) {
  Observation o;
  bool ending = false;
  switch (goal) {
    case Goal::model_available:
    case Goal::model_terminated: {
      const scv2::ModelStatusReply st = co_await plane_.model_status(name);
      o.call = st.rpc.call;
      o.answered = st.rpc.ok();
      ending = goal == Goal::model_terminated;
      o.reached = ending ? st.model.terminated() : st.model.available();
      o.failed = !ending && st.model.failed;
      break;
    }
    case Goal::pipeline_ready:
    case Goal::pipeline_terminated: {
      const scv2::PipelineStatusReply st = co_await plane_.pipeline_status(name);
      o.call = st.rpc.call;
      o.answered = st.rpc.ok();
      ending = goal == Goal::pipeline_terminated;
      o.reached = ending ? st.pipeline.terminated() : st.pipeline.ready();
      o.failed = !ending && st.pipeline.failed();
      break;
    }
    case Goal::experiment_active:
    case Goal::experiment_inactive: {
      const scv2::ExperimentStatusReply st = co_await plane_.experiment_status(name);
      o.call = st.rpc.call;
      o.answered = st.rpc.ok();
      ending = goal == Goal::experiment_inactive;
      o.reached = st.found && st.active != ending;
      break;
    }
  }
  const bool gone = o.call.failure == grpc::CallFailure::none &&
                    (o.call.status == grpc::StatusCode::failed_precondition || o.call.status == grpc::StatusCode::not_found);
  if (ending && gone) {
    o.answered = true;
    o.reached = true;
  }
  co_return o;
}

}  // namespace inferload::scenario
