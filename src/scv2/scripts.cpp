#include "inferload/scv2/scripts.hpp"

#include <stdexcept>

namespace inferload::scv2 {
namespace {

using Executor = ScriptScenario::Executor;

// Registered by the infer_* scripts. Their open-loop scenarios are not named "default", so in k6
// these submetrics get no samples; they are kept so that the summaries match k6's.
std::vector<ThresholdDecl> default_scenario_thresholds() {
  return {
      {"http_req_duration{scenario:default}", {"max>=0"}},
      {"http_reqs{scenario:default}", {}},
      {"grpc_req_duration{scenario:default}", {"max>=0"}},
      {"data_received{scenario:default}", {}},
      {"data_sent{scenario:default}", {}},
  };
}

const std::vector<Script>& scripts() {
  static const std::vector<Script> all = [] {
    std::vector<Script> v;
    Script vu;
    vu.name = "infer_constant_vu";
    vu.duration = 30 * 60 * runtime::kSecond;
    vu.thresholds = default_scenario_thresholds();
    vu.check_name = "model http prediction success";
    vu.loads_models = true;
    vu.setup_timeout = 6000 * runtime::kSecond;
    vu.teardown_timeout = 6000 * runtime::kSecond;
    v.push_back(vu);

    Script rate = vu;
    rate.name = "infer_constant_rate";
    rate.duration = 0;
    rate.executor = Executor::constant_arrival_rate;
    rate.protocol = ProtocolRule::infer_type;
    v.push_back(rate);

    Script rates = vu;
    rates.name = "infer_multiple_rates";
    rates.duration = 0;
    rates.executor = Executor::ramping_arrival_rate;
    v.push_back(rates);

    Script model = rate;
    model.name = "model_constant_rate";
    model.thresholds.clear();
    model.models = ModelRule::type0_range;
    model.calls_per_iteration = 1;
    model.grpc_connection_per_iteration = true;
    // It sets no setup or teardown and no timeouts: the models must exist already.
    model.loads_models = false;
    model.setup_timeout = 60 * runtime::kSecond;
    model.teardown_timeout = 60 * runtime::kSecond;
    v.push_back(model);

    // The lifecycle scripts declare no options at all: -u, -i and -d drive them, and without
    // any k6 runs one iteration of one VU. Their iterations load and unload through the
    // scheduler themselves; there is no setupBase or teardownBase.
    Script lifecycle;
    lifecycle.name = "load_predict_unload";
    lifecycle.check_name = "model http prediction success";
    lifecycle.iteration = IterationKind::model_lifecycle;
    lifecycle.protocol = ProtocolRule::in_turn;
    lifecycle.models = ModelRule::per_iteration;
    lifecycle.grpc_connection_per_iteration = true;
    v.push_back(lifecycle);

    Script pipeline = lifecycle;
    pipeline.name = "pipeline";
    pipeline.iteration = IterationKind::pipeline_lifecycle;
    v.push_back(pipeline);

    Script experiment = lifecycle;
    experiment.name = "experiment";
    experiment.iteration = IterationKind::experiment_lifecycle;
    v.push_back(experiment);

    Script oc;
    oc.name = "predict_agent_oc";
    oc.duration = 30 * 60 * runtime::kSecond;
    oc.thresholds = {
        {"http_req_duration{scenario:default}", {"max>=0"}},
        {"grpc_req_duration{scenario:default}", {"max>=0"}},
    };
    oc.check_name = "model http prediction success";
    oc.loads_models = true;
    oc.setup_timeout = 600 * runtime::kSecond;
    oc.iteration = IterationKind::every_model_grpc;
    oc.protocol = ProtocolRule::grpc_only;
    oc.models = ModelRule::type0_every;
    oc.grpc_connection_per_iteration = true;
    v.push_back(oc);

    auto kubernetes_only = [&](const char* name, const char* what) {
      Script k;
      k.name = name;
      k.needs_kubernetes = what;
      v.push_back(k);
    };
    kubernetes_only("k8s-test-script", "it applies, changes and deletes a Model custom resource");
    kubernetes_only("core2_qa_control_plane_ops",
                    "it creates, updates and deletes Model and Pipeline custom resources and checks their state");
    constexpr const char* kPipelineObjects =
        "it deletes and creates its Server, Models and Pipeline as custom resources";
    constexpr const char* kScaledPipelineObjects =
        "it deletes and creates its Server, Models and Pipeline as custom resources and scales the SeldonRuntime";
    kubernetes_only("pipeline/1_model_pipeline", kPipelineObjects);
    for (const char* name : {"pipeline/scalability/1_model_pipeline_all_svcs_scaled",
                             "pipeline/scalability/5_model_double_pipelines", "pipeline/scalability/parallel_pipeline",
                             "pipeline/scalability/scale_all_up_down_during_test",
                             "pipeline/scalability/scale_dataflow-engine_during_test",
                             "pipeline/scalability/scale_modelgw_during_test",
                             "pipeline/scalability/scale_pipelinegw_during_test"}) {
      kubernetes_only(name, kScaledPipelineObjects);
    }
    return v;
  }();
  return all;
}

std::string_view file_name(std::string_view path) {
  if (const auto slash = path.rfind('/'); slash != std::string_view::npos) path.remove_prefix(slash + 1);
  if (path.size() > 3 && path.substr(path.size() - 3) == ".js") path.remove_suffix(3);
  return path;
}

constexpr std::int64_t kStartRate = 5;  // infer_multiple_rates's startRate

}  // namespace

// Every file name of the suite's scenarios is unique, the ones under pipeline/ included.
const Script& find_script(std::string_view name_or_path) {
  const std::string_view name = file_name(name_or_path);
  for (const Script& s : scripts()) {
    if (file_name(s.name) == name) return s;
  }
  std::string known;
  for (const Script& s : scripts()) {
    if (s.needs_kubernetes.empty()) known += (known.empty() ? "" : ", ") + s.name;
  }
  throw std::invalid_argument("unknown scenario \"" + std::string(name_or_path) + "\" (built-in scenarios: " + known + ")");
}

const std::vector<Script>& all_scripts() { return scripts(); }

Settings script_settings(const Script& script, const Settings& settings) {
  Settings out = settings;
  switch (script.iteration) {
    case IterationKind::model_lifecycle:
    case IterationKind::experiment_lifecycle:
      out.envoy = true;
      out.scheduler_proxy = false;
      out.via_pipeline = false;
      break;
    case IterationKind::pipeline_lifecycle:
      out.scheduler_proxy = false;
      out.via_pipeline = true;
      break;
    case IterationKind::infer:
    case IterationKind::every_model_grpc:
      break;
  }
  return out;
}

std::vector<std::pair<runtime::Nanos, std::int64_t>> rate_stages(const Settings& settings) {
  std::vector<std::pair<runtime::Nanos, std::int64_t>> stages;
  if (!settings.request_rates_set) {
    stages.emplace_back(settings.constant_rate_duration, settings.request_rate);
    return stages;
  }
  const std::size_t n = settings.request_rates.size();
  std::vector<runtime::Nanos> holds;
  const auto& given = settings.constant_rate_durations_seconds;
  // A shorter list falls through to the even split: the suite pads it but never returns the
  // padded list.
  if (given && given->size() >= n) {
    for (std::size_t i = 0; i < n; ++i) holds.push_back((*given)[i] * runtime::kSecond);
  } else {
    holds.assign(n, settings.constant_rate_duration / static_cast<runtime::Nanos>(n));
  }
  for (std::size_t i = 0; i < n; ++i) {
    // Math.ceil(d / 3) whole seconds, on the exact duration.
    const runtime::Nanos third = 3 * runtime::kSecond;
    const runtime::Nanos ramp = (holds[i] + third - 1) / third * runtime::kSecond;
    stages.emplace_back(ramp, settings.request_rates[i]);
    stages.emplace_back(holds[i], settings.request_rates[i]);
  }
  return stages;
}

std::optional<ScriptScenario> script_scenario(const Script& script, const Settings& settings) {
  ScriptScenario sc;
  sc.executor = script.executor;
  switch (script.executor) {
    case Executor::none:
      return std::nullopt;
    case Executor::constant_arrival_rate:
      sc.name = "constant_request_rate";
      sc.rate = settings.request_rate;
      sc.duration = settings.constant_rate_duration;
      sc.pre_allocated_vus = 1;
      sc.max_vus = 1000;
      break;
    case Executor::ramping_arrival_rate:
      sc.name = "ramping_request_rates";
      sc.start_rate = kStartRate;
      sc.stages = rate_stages(settings);
      sc.pre_allocated_vus = 50;
      sc.max_vus = 1000;
      break;
  }
  return sc;
}

ModelChoice script_models(const Script& script, const Settings& settings) {
  ModelChoice c;
  if (script.models == ModelRule::every_type) return c;
  c.type0_only = true;
  if (script.models == ModelRule::per_iteration) {
    c.last = static_cast<std::uint32_t>(TargetTable::kMaxModelsPerType - 1);
    // experiment.js calls its first model, <prefix><n>_1; the others plain names.
    c.name_suffix = script.iteration == IterationKind::experiment_lifecycle ? "_1" : "";
    return c;
  }
  if (script.models == ModelRule::type0_every) {
    if (settings.max_num_models[0] <= 0) {
      throw std::invalid_argument("MAX_NUM_MODELS: " + script.name + " calls every model of type " +
                                  settings.model_type[0] + " (the first of MODEL_TYPE), and its count is 0");
    }
    c.last = static_cast<std::uint32_t>(settings.max_num_models[0] - 1);
    return c;
  }
  c.fixed_name = settings.model_name;
  if (!c.fixed_name.empty()) return c;
  // The suite's default end is MAX_NUM_MODELS[0] itself, inclusive: one model past the last.
  // Here it is the last; an explicit MODEL_END_IDX stays inclusive, as the suite reads it.
  const long long end = settings.model_end_idx > 0 ? settings.model_end_idx : settings.max_num_models[0] - 1;
  if (settings.model_start_idx > end) {
    throw std::invalid_argument("MODEL_START_IDX: " + std::to_string(settings.model_start_idx) +
                                " is above the range's end " + std::to_string(end) +
                                (settings.model_end_idx > 0 ? " (MODEL_END_IDX)" : " (MAX_NUM_MODELS[0]-1, as MODEL_END_IDX is 0)"));
  }
  c.first = static_cast<std::uint32_t>(settings.model_start_idx);
  c.last = static_cast<std::uint32_t>(end);
  return c;
}

}  // namespace inferload::scv2
