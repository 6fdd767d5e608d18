#pragma once
// The settings of SCv2's k6 suite that a data-plane run could honour only through the Kubernetes
// API, which inferload does not drive yet. A run should refuse them rather than silently do
// something else than the k6 Job it replaces.
#include <string>
#include <vector>

#include "inferload/scv2/settings.hpp"

namespace inferload::scv2 {

// The parts of the suite's lifecycle a run goes through. infer_constant_vu, infer_constant_rate
// and infer_multiple_rates have all three (k6's --no-setup and --no-teardown turn off the first
// two); model_constant_rate has none of them.
struct RunSteps {
  bool setup = true;            // setupBase: loads the models (unless SKIP_LOAD_MODEL)
  bool teardown = true;         // teardownBase: unloads them (unless SKIP_UNLOAD_MODEL)
  bool replica_changes = true;  // VU 1 may change models mid-run (ENABLE_MODEL_REPLICA_CHANGE)
};

// One line per setting that, in these steps, needs Kubernetes: "VAR=value: why; what to do
// instead". Empty when the run needs no Kubernetes. Variables that only the control-plane QA and
// pipeline scenarios read are never reported, since a data-plane run does not use them (the base
// Job sets MAX_MEM_UPDATE_FRACTION for every overlay, for instance).
std::vector<std::string> kubernetes_only_settings(const Settings& settings, const RunSteps& steps = {});

}  // namespace inferload::scv2
