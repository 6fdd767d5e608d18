#include "inferload/scv2/kubernetes_only.hpp"

namespace inferload::scv2 {

// Which variables can make a data-plane run need Kubernetes, from what the suite does with them:
//
// - USE_KUBE_CONTROL_PLANE=true: setupBase loads the models (and, with VIA_PIPELINE, their
//   pipelines) as custom resources, teardownBase deletes them. It matters only where those steps
//   run and are not skipped by SKIP_LOAD_MODEL / SKIP_UNLOAD_MODEL. The base Job sets it, so every
//   overlay inherits it.
// - ENABLE_MODEL_REPLICA_CHANGE=true: VU 1 re-applies Model resources mid-run, through
//   Kubernetes whatever USE_KUBE_CONTROL_PLANE says. MAX_MODEL_REPLICAS and
//   SLEEP_BETWEEN_REPLICA_CHANGE only shape those changes, so they need no reason of their own.
//
// Never reported, as no data-plane scenario reads them:
// - MAX_NUM_MODELS_HEADROOM, MAX_MEM_UPDATE_FRACTION (set by the base Job for every overlay),
//   MODEL_CREATE_UPDATE_DELETE_BIAS, MAX_CREATE_OPS_PER_VU, K8S_DELAY_SECONDS_PER_VU,
//   CHECK_STATE_EVERY_SECONDS, MAX_CHECK_TIME_SECONDS, STOP_ON_CHECK_FAILURE: the control-plane
//   QA scenario only.
// - ENABLE_STATE_CHECK: the QA scenario's periodic checks; in setupBase it only decides whether
//   pipeline loads are waited for, which needs Kubernetes only when USE_KUBE_CONTROL_PLANE does.
// - MODEL_REPLICAS, INFERENCE_SERVER_*, DATAFLOW_ENGINE_*, PIPLINE_GW_REPLICAS, MODEL_GW_*,
//   SELDON_CONFIG_NAME, SELDON_RUNTIME_NAME, USE_GRPC, SKIP_SETUP: the pipeline scenarios only,
//   which force the Kubernetes control plane on whatever the variables say.
// - NAMESPACE: names where custom resources live; every Job sets it from the downward API.
std::vector<std::string> kubernetes_only_settings(const Settings& settings, const RunSteps& steps) {
  std::vector<std::string> reasons;

  const bool loads = steps.setup && !settings.skip_load_model;
  const bool unloads = steps.teardown && !settings.skip_unload_model;
  if (settings.use_kube_control_plane && (loads || unloads)) {
    const std::string what = loads && unloads ? "loading and unloading models" : loads ? "loading models" : "unloading models";
    std::string already_loaded;
    if (loads) already_loaded = "set SKIP_LOAD_MODEL";
    if (unloads) already_loaded += std::string(loads ? " and " : "set ") + "SKIP_UNLOAD_MODEL (or pass --no-teardown)";
    reasons.push_back("USE_KUBE_CONTROL_PLANE=true: " + what +
                      " through Kubernetes custom resources is not supported yet; unset it to use the scheduler at "
                      "SCHEDULER_ENDPOINT (" + settings.scheduler_endpoint + "), or " + already_loaded +
                      " when the models are already loaded");
  }

  if (settings.enable_model_replica_change && steps.replica_changes) {
    reasons.push_back(
        "ENABLE_MODEL_REPLICA_CHANGE=true: changing model replicas and memory during the run goes through Kubernetes "
        "custom resources, which is not supported yet; unset it");
  }
  return reasons;
}

}  // namespace inferload::scv2
