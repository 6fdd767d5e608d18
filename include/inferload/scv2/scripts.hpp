#pragma once
// The scenario scripts of SCv2's k6 suite (tests/k6/scenarios/*.js) that inferload runs as
// built-ins, with the options each script declares (its default duration, its own scenario, the
// thresholds that register its {scenario:default} submetrics) and the rules its iteration
// follows (how it picks the protocol and the model).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inferload/runtime/clock.hpp"
#include "inferload/scv2/settings.hpp"
#include "inferload/scv2/targets.hpp"

namespace inferload::scv2 {

struct ThresholdDecl {
  std::string metric;                    // e.g. "http_req_duration{scenario:default}"
  std::vector<std::string> expressions;  // may be empty: the submetric is registered only
  // The expressions with abortOnFail: checked while the run goes on, and a failure stops it.
  struct Abort {
    std::size_t expression = 0;  // index into expressions
    runtime::Nanos delay = -1;   // delayAbortEval; -1: not given
  };
  std::vector<Abort> aborts = {};
};

// What an iteration does; app makes the scenario program that does it.
enum class IterationKind : std::uint8_t {
  infer,                 // a model, then REST or gRPC calls to it (infer_*, model_constant_rate)
  every_model_grpc,      // gRPC calls to every model of type 0 in turn (predict_agent_oc)
  model_lifecycle,       // load a model, call it, unload it (load_predict_unload)
  pipeline_lifecycle,    // the same with a one-step pipeline of the model (pipeline)
  experiment_lifecycle,  // two models and an experiment over them (experiment)
};

// The scripts whose iterations load and unload through the scheduler themselves.
inline bool is_lifecycle(IterationKind k) noexcept {
  return k == IterationKind::model_lifecycle || k == IterationKind::pipeline_lifecycle ||
         k == IterationKind::experiment_lifecycle;
}

// How an iteration chooses REST or gRPC.
enum class ProtocolRule : std::uint8_t {
  enabled_iterations,  // INFER_HTTP/GRPC_ITERATIONS as on/off flags, 50/50 when both are on
  infer_type,          // INFER_TYPE exactly "REST": REST; anything else: gRPC
  in_turn,             // INFER_HTTP_ITERATIONS REST calls, then INFER_GRPC_ITERATIONS gRPC calls; SKIP_INFER: none
  grpc_only,           // INFER_GRPC_ITERATIONS gRPC calls (predict_agent_oc's doInfer)
};

// Which models an iteration picks from.
enum class ModelRule : std::uint8_t {
  every_type,     // a type with models, then a model of it (infer_* scripts)
  type0_range,    // MODEL_START_IDX..MODEL_END_IDX of type 0, or MODEL_NAME (model_constant_rate)
  type0_every,    // every model of type 0, 0..MAX_NUM_MODELS[0]-1 (predict_agent_oc)
  per_iteration,  // type 0, named after the iteration's number (the lifecycle scripts)
};

// A script's own scenario (options.scenarios), in the suite's terms; app turns it into a
// load::ScenarioConfig.
struct ScriptScenario {
  enum class Executor : std::uint8_t { none, constant_arrival_rate, ramping_arrival_rate };
  std::string name;
  Executor executor = Executor::none;
  std::int64_t rate = 0;  // constant-arrival-rate, per second
  runtime::Nanos duration = 0;  // constant-arrival-rate
  std::int64_t start_rate = 0;  // ramping-arrival-rate, per second
  std::vector<std::pair<runtime::Nanos, std::int64_t>> stages;  // {duration, target rate}
  int pre_allocated_vus = 0;
  int max_vus = 0;
  runtime::Nanos graceful_stop = 30 * runtime::kSecond;
};

struct Script {
  std::string name;               // e.g. "infer_constant_vu"
  runtime::Nanos duration = 0;    // options.duration; 0 if the script sets none
  std::vector<ThresholdDecl> thresholds;
  std::string check_name;         // the check made on every REST response
  std::string grpc_check_name = "model grpc prediction success";  // and on every gRPC one
  std::string kafka_check_name = "model kafka prediction success";  // and on every Kafka request
  ScriptScenario::Executor executor = ScriptScenario::Executor::none;
  ProtocolRule protocol = ProtocolRule::enabled_iterations;
  ModelRule models = ModelRule::every_type;
  // Calls per iteration whatever INFER_*_ITERATIONS say; 0: as they say.
  int calls_per_iteration = 0;
  // The script connects and disconnects gRPC around every iteration's calls.
  bool grpc_connection_per_iteration = false;
  // setupBase and teardownBase (suite section 1.0): load every model before the load, unload
  // them after. Without, the models must exist already.
  bool loads_models = false;
  runtime::Nanos setup_timeout = 60 * runtime::kSecond;     // k6's default setupTimeout
  runtime::Nanos teardown_timeout = 60 * runtime::kSecond;  // and teardownTimeout
  IterationKind iteration = IterationKind::infer;
  // Not empty: what the script does through the Kubernetes API, which inferload cannot do yet;
  // such a script is known by name only, to be refused plainly.
  std::string needs_kubernetes;
};

// Finds a script by name or path ("infer_constant_vu", "scenarios/infer_constant_vu.js",
// "scenarios/pipeline/scalability/parallel_pipeline.js"): the file's name decides. Throws
// std::invalid_argument naming the runnable scripts when there is none by that name.
const Script& find_script(std::string_view name_or_path);

// Every script find_script knows, the Kubernetes-only ones included.
const std::vector<Script>& all_scripts();

// The settings the script's inference requests follow (suite sections 1.6-1.8): the lifecycle
// scripts send through envoy whatever ENVOY and SCHEDULER_PROXY say (pipeline.js honours ENVOY
// for seldon-internal-model only) and pipeline.js always through the pipeline; every other
// script follows the settings as they are.
Settings script_settings(const Script& script, const Settings& settings);

// The script's own scenario from the settings it reads (REQUEST_RATE, REQUEST_RATES,
// CONSTANT_RATE_DURATION(S)_SECONDS); nullopt for a script that declares none.
std::optional<ScriptScenario> script_scenario(const Script& script, const Settings& settings);

// infer_multiple_rates's rateStages (suite 1.4), each stage {duration, target}.
std::vector<std::pair<runtime::Nanos, std::int64_t>> rate_stages(const Settings& settings);

// The models the script's iterations pick from. Throws std::invalid_argument naming the
// variables when the range is empty. For ModelRule::per_iteration, model n of the table is the
// one the iteration numbered n addresses (iteration_model).
ModelChoice script_models(const Script& script, const Settings& settings);

// The model a lifecycle iteration loads: the iteration's number within the names a type may have
// (TargetTable::kMaxModelsPerType), so that names repeat only after 10^8 iterations.
inline std::uint32_t iteration_model(std::uint64_t iteration) noexcept {
  return static_cast<std::uint32_t>(iteration % static_cast<std::uint64_t>(TargetTable::kMaxModelsPerType));
}

}  // namespace inferload::scv2
