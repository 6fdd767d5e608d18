#pragma once
// The scheduler side of a lifecycle script's plan (load_predict_unload, pipeline, experiment):
// which parts of an iteration run (the SKIP_* variables), the model every iteration loads, how
// long one wait for a state may take (--wait-timeout), and the scheduler, resolved and checked
// reachable when the iterations load or unload. The inference half (LifecyclePlan::data) is the
// caller's, as for every other script.
#include <optional>

#include "inferload/app/cli.hpp"
#include "inferload/scenario/lifecycle_program.hpp"
#include "inferload/scv2/scripts.hpp"
#include "inferload/scv2/settings.hpp"

namespace inferload::app {

// nullopt for a script that is not a lifecycle script. Throws ExitError: 255 for a bad
// --wait-timeout, 104 and 107 for SCHEDULER_ENDPOINT (reach_scheduler).
std::optional<scenario::LifecyclePlan> plan_lifecycle(const RunArgs& args, const scv2::Script& script,
                                                      const scv2::Settings& settings, runtime::Nanos rpc_timeout);

}  // namespace inferload::app
