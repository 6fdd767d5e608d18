#include "inferload/app/lifecycle_plan.hpp"

#include "inferload/app/control_phase.hpp"
#include "inferload/app/options.hpp"

namespace inferload::app {

std::optional<scenario::LifecyclePlan> plan_lifecycle(const RunArgs& a, const scv2::Script& script,
                                                      const scv2::Settings& settings, runtime::Nanos rpc_timeout) {
  // Checked for every script, so that a bad value never waits for the script that reads it.
  scenario::StateWaits waits;
  if (a.wait_timeout) {
    waits.timeout = parse_duration_option("--wait-timeout", *a.wait_timeout, runtime::DurationSyntax::cli);
    if (waits.timeout <= 0) throw ExitError(kExitOtherError, "--wait-timeout: must be more than 0");
  }
  if (!scv2::is_lifecycle(script.iteration)) return std::nullopt;

  scenario::LifecyclePlan p;
  p.kind = script.iteration;
  p.waits = waits;
  const bool experiment = script.iteration == scv2::IterationKind::experiment_lifecycle;
  p.load = experiment ? !settings.skip_load_experiment : !settings.skip_load_model;
  p.unload = experiment ? !settings.skip_unload_experiment : !settings.skip_unload_model;
  p.model_type = settings.model_type[0];
  p.model_prefix = settings.modelname_prefix[0];
  p.experiment_prefix = settings.experiment_name_prefix;
  p.memory_bytes = settings.model_memory_bytes[0];
  p.replicas = static_cast<std::uint32_t>(settings.model_num_replicas[0]);
  p.rpc_timeout = rpc_timeout;
  if (p.load || p.unload) {
    const char* skips = experiment ? "SKIP_LOAD_EXPERIMENT and SKIP_UNLOAD_EXPERIMENT" : "SKIP_LOAD_MODEL and SKIP_UNLOAD_MODEL";
    p.scheduler = reach_scheduler(settings, rpc_timeout,
                                  script.name + " loads and unloads through the scheduler in every iteration; " + skips +
                                      " leave that out");
    p.scheduler_authority = settings.scheduler_endpoint;
  }
  return p;
}

}  // namespace inferload::app
