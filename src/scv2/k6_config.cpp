#include "inferload/scv2/k6_config.hpp"

#include <cmath>
#include <cstdio>

#include "inferload/scv2/scripts.hpp"

namespace inferload::scv2 {
namespace {

using V = ConfigValue;

template <class T>
V numbers(const std::vector<T>& xs) {
  std::vector<V> items;
  for (const T& x : xs) items.push_back(V::of(static_cast<double>(x)));
  return V::array(std::move(items));
}

V strings(const std::vector<std::string>& xs) {
  std::vector<V> items;
  for (const std::string& x : xs) items.push_back(V::of(x));
  return V::array(std::move(items));
}

double seconds(runtime::Nanos ns) { return static_cast<double>(ns) / 1e9; }

// A k6 duration as the suite writes it, `value + 's'`, the value as JavaScript prints it.
std::string seconds_text(runtime::Nanos ns) {
  const double s = seconds(ns);
  char buf[40];
  if (std::floor(s) == s) std::snprintf(buf, sizeof buf, "%.0fs", s);
  else std::snprintf(buf, sizeof buf, "%.9gs", s);
  return buf;
}

}  // namespace

ConfigValue ConfigValue::of(bool b) {
  V v;
  v.kind = Kind::boolean;
  v.boolean = b;
  return v;
}

ConfigValue ConfigValue::of(double n) {
  V v;
  v.kind = Kind::number;
  v.number = n;
  return v;
}

ConfigValue ConfigValue::of(std::string s) {
  V v;
  v.kind = Kind::string;
  v.text = std::move(s);
  return v;
}

ConfigValue ConfigValue::array(std::vector<ConfigValue> items) {
  V v;
  v.kind = Kind::array;
  v.items = std::move(items);
  return v;
}

ConfigValue ConfigValue::object(std::vector<std::pair<std::string, ConfigValue>> members) {
  V v;
  v.kind = Kind::object;
  v.members = std::move(members);
  return v;
}

ConfigValue k6_config(const Settings& s, const EnvLookup& env) {
  auto given = [&](const char* name) -> std::optional<std::string> {
    auto v = env(name);
    if (v && v->empty()) return std::nullopt;
    return v;
  };
  // The suite keeps these as written when set, and has numbers for defaults.
  auto as_written_or = [&](const char* name, double dflt) {
    if (auto v = given(name)) return V::of(*v);
    return V::of(dflt);
  };
  V memory = given("MODEL_MEMORY_BYTES") ? strings(s.model_memory)
                                         : numbers(std::vector<int>(s.model_type.size(), 0));

  std::vector<V> stages;
  for (const auto& [duration, target] : rate_stages(s)) {
    stages.push_back(V::object({{"duration", V::of(seconds_text(duration))},
                                {"target", V::of(static_cast<double>(target))}}));
  }
  // The hold of each rate: every second stage, or the one ramp when REQUEST_RATES is unset.
  std::vector<V> holds;
  const auto stage_list = rate_stages(s);
  if (!s.request_rates_set) {
    holds.push_back(V::of(seconds(s.constant_rate_duration)));
  } else {
    for (std::size_t i = 1; i < stage_list.size(); i += 2) holds.push_back(V::of(seconds(stage_list[i].first)));
  }

  return V::object({
      {"useKubeControlPlane", V::of(s.use_kube_control_plane)},
      {"schedulerEndpoint", V::of(s.scheduler_endpoint)},
      {"inferGrpcEndpoint", V::of(s.infer_grpc_endpoint)},
      {"inferHttpEndpoint", V::of(s.infer_http_endpoint)},
      {"inferHttpIterations", as_written_or("INFER_HTTP_ITERATIONS", 1)},
      {"inferGrpcIterations", as_written_or("INFER_GRPC_ITERATIONS", 1)},
      {"modelType", strings(s.model_type)},
      {"skipSetup", V::of(s.skip_setup)},
      {"loadModel", V::of(!s.skip_load_model)},
      {"loadExperiment", V::of(!s.skip_load_experiment)},
      {"infer", V::of(!s.skip_infer)},
      {"unloadModel", V::of(!s.skip_unload_model)},
      {"unloadExperiment", V::of(!s.skip_unload_experiment)},
      {"maxNumModels", numbers(s.max_num_models)},
      {"maxNumModelsHeadroom", numbers(s.max_num_models_headroom)},
      {"isSchedulerProxy", V::of(s.scheduler_proxy)},
      {"isEnvoy", V::of(s.envoy)},
      {"modelMemoryBytes", std::move(memory)},
      {"maxMemUpdateFraction", V::of(s.max_mem_update_fraction)},
      {"inferBatchSize", numbers(s.infer_batch_size)},
      {"modelReplicas", numbers(s.model_num_replicas)},
      {"maxModelReplicas", numbers(s.max_model_replicas)},
      {"createUpdateDeleteBias", numbers(std::vector<int>(s.create_update_delete_bias.begin(),
                                                          s.create_update_delete_bias.end()))},
      {"modelStartIdx", V::of(static_cast<double>(s.model_start_idx))},
      {"modelEndIdx", V::of(static_cast<double>(s.model_end_idx))},
      {"debug", V::of(s.debug)},
      {"viaPipeline", V::of(s.via_pipeline)},
      {"modelNamePrefix", strings(s.modelname_prefix)},
      {"modelName", V::of(s.model_name)},
      {"experimentNamePrefix", V::of(s.experiment_name_prefix)},
      {"replicas", V::object({
                       {"model", V::of(static_cast<double>(s.pipeline_model_replicas))},
                       {"inferenceServer", V::object({
                                               {"max", V::of(static_cast<double>(s.inference_server_max_replicas))},
                                               {"min", V::of(static_cast<double>(s.inference_server_min_replicas))},
                                               {"actual", V::of(static_cast<double>(s.inference_server_replicas))},
                                           })},
                       {"dataFlowEngine", V::of(static_cast<double>(s.dataflow_engine_replicas))},
                       {"pipelineGw", V::of(static_cast<double>(s.pipeline_gw_replicas))},
                       {"modelGw", V::of(static_cast<double>(s.model_gw_replicas))},
                   })},
      {"dataflow", V::object({{"limits", V::object({{"memory", V::of(s.dataflow_engine_limit_memory)}})}})},
      {"modelGateway", V::object({{"numOfWorkers", V::of(s.model_gw_num_workers)}})},
      {"useGRPC", V::of(s.use_grpc)},
      {"seldonConfigName", V::of(s.seldon_config_name)},
      {"seldonRuntimeName", V::of(s.seldon_runtime_name)},
      {"requestIDPrefix", s.request_id_prefix ? V::of(*s.request_id_prefix) : V{}},
      {"inferType", V::of(s.infer_type)},
      {"doWarmup", V::of(s.warmup)},
      {"requestRate", V::of(static_cast<double>(s.request_rate))},
      {"requestRates", numbers(s.request_rates)},
      {"constantRateDurationSeconds", as_written_or("CONSTANT_RATE_DURATION_SECONDS", 30)},
      {"constantRateDurationsSeconds", V::array(std::move(holds))},
      {"rateStages", V::array(std::move(stages))},
      {"namespace", V::of(s.kube_namespace)},
      {"maxCreateOpsPerVU", V::of(static_cast<double>(s.max_create_ops_per_vu))},
      {"k8sDelaySecPerVU", V::of(seconds(s.k8s_delay_per_vu))},
      {"checkStateEverySec", V::of(seconds(s.check_state_every))},
      {"maxCheckTimeSec", V::of(seconds(s.max_check_time))},
      {"stopOnCheckFailure", V::of(s.stop_on_check_failure)},
      {"enableStateCheck", V::of(s.enable_state_check)},
      {"enableModelReplicaChange", V::of(s.enable_model_replica_change)},
      {"sleepBetweenModelReplicaChange", V::of(seconds(s.sleep_between_replica_change))},
  });
}

}  // namespace inferload::scv2
