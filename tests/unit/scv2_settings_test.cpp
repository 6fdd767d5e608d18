// Every environment variable of SCv2's k6 suite (settings.js, plus SCHEDULER_ENDPOINT, NAMESPACE
// and TEST_METADATA): its default, its parse rule, its error, the base Job's whole env block, and
// which settings need Kubernetes in a data-plane run.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "inferload/scv2/kubernetes_only.hpp"
#include "inferload/scv2/settings.hpp"

using namespace inferload;

namespace {

constexpr runtime::Nanos kSec = runtime::kSecond;

using Vars = std::map<std::string, std::string>;

scv2::EnvLookup env_of(Vars vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

scv2::Settings load(const Vars& vars) { return scv2::load_settings(env_of(vars)); }

std::string message_of(const Vars& vars) {
  try {
    load(vars);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// Section 2.1 of the suite's variables, the three read outside settings.js, and inferload's
// INFER_KAFKA_ITERATIONS (Kafka direct mode).
const std::set<std::string> kEveryVariable = {
    "USE_KUBE_CONTROL_PLANE", "SCHEDULER_ENDPOINT", "INFER_GRPC_ENDPOINT", "INFER_HTTP_ENDPOINT",
    "INFER_HTTP_ITERATIONS", "INFER_GRPC_ITERATIONS", "MODEL_TYPE", "SKIP_SETUP", "SKIP_LOAD_MODEL",
    "SKIP_LOAD_EXPERIMENT", "SKIP_INFER", "SKIP_UNLOAD_MODEL", "SKIP_UNLOAD_EXPERIMENT", "MAX_NUM_MODELS",
    "MAX_NUM_MODELS_HEADROOM", "SCHEDULER_PROXY", "ENVOY", "MODEL_MEMORY_BYTES", "MAX_MEM_UPDATE_FRACTION",
    "INFER_BATCH_SIZE", "MODEL_NUM_REPLICAS", "MAX_MODEL_REPLICAS", "MODEL_CREATE_UPDATE_DELETE_BIAS",
    "MODEL_START_IDX", "MODEL_END_IDX", "K6_DEBUG", "VIA_PIPELINE", "MODELNAME_PREFIX", "MODEL_NAME",
    "EXPERIMENTNAME_PREFIX", "MODEL_REPLICAS", "INFERENCE_SERVER_MAX_REPLICAS", "INFERENCE_SERVER_MIN_REPLICAS",
    "INFERENCE_SERVER_REPLICAS", "DATAFLOW_ENGINE_REPLICAS", "PIPLINE_GW_REPLICAS", "MODEL_GW_REPLICAS",
    "DATAFLOW_ENGINE_LIMIT_MEMORY", "MODEL_GW_NUM_WORKERS", "USE_GRPC", "SELDON_CONFIG_NAME", "SELDON_RUNTIME_NAME",
    "REQUEST_ID_PREFIX", "INFER_TYPE", "WARMUP", "REQUEST_RATE", "REQUEST_RATES", "CONSTANT_RATE_DURATION_SECONDS",
    "CONSTANT_RATE_DURATIONS_SECONDS", "NAMESPACE", "MAX_CREATE_OPS_PER_VU", "K8S_DELAY_SECONDS_PER_VU",
    "CHECK_STATE_EVERY_SECONDS", "MAX_CHECK_TIME_SECONDS", "STOP_ON_CHECK_FAILURE", "ENABLE_STATE_CHECK",
    "ENABLE_MODEL_REPLICA_CHANGE", "SLEEP_BETWEEN_REPLICA_CHANGE", "TEST_METADATA", "INFER_KAFKA_ITERATIONS",
};

// The base Job's env block (tests/k6/configs/k8s/base/k6.yaml) as the pod sees it, after envsubst
// and the downward API.
const Vars kBaseJob = {
    {"REQUEST_RATE", "20"},
    {"CONSTANT_RATE_DURATION_SECONDS", "60"},
    {"USE_KUBE_CONTROL_PLANE", "true"},
    {"SCHEDULER_ENDPOINT", "10.244.0.17:9004"},
    {"INFER_HTTP_ITERATIONS", "1"},
    {"INFER_GRPC_ITERATIONS", "1"},
    {"MODELNAME_PREFIX", "tfsimplea,pytorch-cifar10a,tfmnista,mlflow-winea,irisa"},
    {"MODEL_TYPE", "tfsimple,pytorch_cifar10,tfmnist,mlflow_wine,iris"},
    {"MODEL_MEMORY_BYTES", "400k,8M,43M,200k,3M"},
    {"MAX_MEM_UPDATE_FRACTION", "0.1"},
    {"MAX_NUM_MODELS", "800,100,25,100,100"},
    {"INFER_BATCH_SIZE", "1,1,1,1,1"},
    {"WARMUP", "false"},
    {"GOOGLE_APPLICATION_CREDENTIALS", "/var/run/secret/cloud.google.com/k6-service-account.json"},
    {"GS_BUCKET_NAME", "gs://seldon-tmp/scv2-k6-results"},
    {"NAMESPACE", "seldon-mesh"},
};

Vars with(Vars vars, const Vars& more) {
  for (const auto& [k, v] : more) vars[k] = v;
  return vars;
}

Vars without(Vars vars, const std::string& name) {
  vars.erase(name);
  return vars;
}

}  // namespace

TEST(Scv2Settings, ReadsEveryVariableOfTheSuiteAndNoOther) {
  std::set<std::string> asked;
  scv2::load_settings([&](const std::string& name) -> std::optional<std::string> {
    asked.insert(name);
    return std::nullopt;
  });
  EXPECT_EQ(asked, kEveryVariable);
}

TEST(Scv2Settings, DefaultsAreTheSuites) {
  const scv2::Settings s = load({});
  EXPECT_EQ(s.infer_http_endpoint, "http://0.0.0.0:9000");
  EXPECT_EQ(s.infer_grpc_endpoint, "0.0.0.0:9000");
  EXPECT_EQ(s.scheduler_endpoint, "0.0.0.0:9004");
  EXPECT_EQ(s.model_type, std::vector<std::string>{"iris"});
  EXPECT_EQ(s.modelname_prefix, std::vector<std::string>{"iris"});
  EXPECT_EQ(s.max_num_models, std::vector<long long>{1});
  EXPECT_EQ(s.infer_batch_size, std::vector<int>{1});
  EXPECT_EQ(s.model_num_replicas, std::vector<int>{1});
  EXPECT_EQ(s.max_model_replicas, std::vector<int>{1});
  EXPECT_EQ(s.max_num_models_headroom, std::vector<long long>{0});
  EXPECT_EQ(s.model_memory, std::vector<std::string>{"0"});  // not the catalogue's 20000
  EXPECT_EQ(s.model_memory_bytes, std::vector<std::uint64_t>{0});
  EXPECT_EQ(s.infer_http_iterations, 1);
  EXPECT_EQ(s.infer_grpc_iterations, 1);
  EXPECT_TRUE(s.envoy);
  EXPECT_FALSE(s.scheduler_proxy);
  EXPECT_FALSE(s.via_pipeline);
  EXPECT_FALSE(s.debug);
  EXPECT_FALSE(s.skip_setup);
  EXPECT_FALSE(s.skip_load_model);
  EXPECT_FALSE(s.skip_load_experiment);
  EXPECT_FALSE(s.skip_infer);
  EXPECT_FALSE(s.skip_unload_model);
  EXPECT_FALSE(s.skip_unload_experiment);
  EXPECT_TRUE(s.warmup);
  EXPECT_FALSE(s.use_kube_control_plane);
  EXPECT_EQ(s.kube_namespace, "seldon-mesh");
  EXPECT_EQ(s.experiment_name_prefix, "experiment");
  EXPECT_FALSE(s.enable_model_replica_change);
  EXPECT_EQ(s.sleep_between_replica_change, 10 * kSec);
  EXPECT_EQ(s.max_mem_update_fraction, 0.0);
  EXPECT_EQ(s.create_update_delete_bias, (std::array<int, 3>{1, 1, 1}));
  EXPECT_EQ(s.max_create_ops_per_vu, 10000);
  EXPECT_EQ(s.k8s_delay_per_vu, 10 * kSec);
  EXPECT_EQ(s.check_state_every, 240 * kSec);
  EXPECT_EQ(s.max_check_time, 10 * kSec);
  EXPECT_TRUE(s.stop_on_check_failure);
  EXPECT_TRUE(s.enable_state_check);
  EXPECT_EQ(s.pipeline_model_replicas, 1);
  EXPECT_EQ(s.inference_server_replicas, 1);
  EXPECT_EQ(s.inference_server_min_replicas, 1);
  EXPECT_EQ(s.inference_server_max_replicas, 1);
  EXPECT_EQ(s.dataflow_engine_replicas, 1);
  EXPECT_EQ(s.pipeline_gw_replicas, 1);
  EXPECT_EQ(s.model_gw_replicas, 1);
  EXPECT_EQ(s.dataflow_engine_limit_memory, "4G");
  EXPECT_EQ(s.model_gw_num_workers, "4");
  EXPECT_FALSE(s.use_grpc);
  EXPECT_EQ(s.seldon_config_name, "default");
  EXPECT_EQ(s.seldon_runtime_name, "seldon");
  EXPECT_FALSE(s.request_id_prefix);
  EXPECT_EQ(s.test_metadata, "");
  EXPECT_EQ(s.request_rate, 10);
  EXPECT_EQ(s.constant_rate_duration, 30 * kSec);
  EXPECT_EQ(s.infer_type, "REST");
}

// Each variable sets its own field and nothing else.
TEST(Scv2Settings, EachVariableSetsItsOwnField) {
  struct Case {
    std::string var;
    std::string value;
    std::function<void(scv2::Settings&)> expect;
  };
  const std::vector<Case> cases = {
      {"USE_KUBE_CONTROL_PLANE", "true", [](auto& s) { s.use_kube_control_plane = true; }},
      {"SCHEDULER_ENDPOINT", "seldon-scheduler:9004", [](auto& s) { s.scheduler_endpoint = "seldon-scheduler:9004"; }},
      {"INFER_GRPC_ENDPOINT", "mesh:80", [](auto& s) { s.infer_grpc_endpoint = "mesh:80"; }},
      {"INFER_HTTP_ENDPOINT", "http://mesh:80", [](auto& s) { s.infer_http_endpoint = "http://mesh:80"; }},
      {"INFER_HTTP_ITERATIONS", "3", [](auto& s) { s.infer_http_iterations = 3; }},
      {"INFER_GRPC_ITERATIONS", "0", [](auto& s) { s.infer_grpc_iterations = 0; }},
      {"INFER_KAFKA_ITERATIONS", "2", [](auto& s) { s.infer_kafka_iterations = 2; }},
      {"SKIP_SETUP", "TRUE", [](auto& s) { s.skip_setup = true; }},
      {"SKIP_LOAD_MODEL", "false", [](auto& s) { s.skip_load_model = true; }},
      {"SKIP_LOAD_EXPERIMENT", "false", [](auto& s) { s.skip_load_experiment = true; }},
      {"SKIP_INFER", "false", [](auto& s) { s.skip_infer = true; }},
      {"SKIP_UNLOAD_MODEL", "false", [](auto& s) { s.skip_unload_model = true; }},
      {"SKIP_UNLOAD_EXPERIMENT", "false", [](auto& s) { s.skip_unload_experiment = true; }},
      {"MAX_NUM_MODELS", "7", [](auto& s) { s.max_num_models = {7}; }},
      {"MAX_NUM_MODELS_HEADROOM", "20", [](auto& s) { s.max_num_models_headroom = {20}; }},
      {"SCHEDULER_PROXY", "true", [](auto& s) { s.scheduler_proxy = true; }},
      {"ENVOY", "false", [](auto& s) { s.envoy = false; }},
      {"MODEL_MEMORY_BYTES", "100Ki", [](auto& s) {
         s.model_memory = {"100Ki"};
         s.model_memory_bytes = {102400};
       }},
      {"MAX_MEM_UPDATE_FRACTION", "0.25", [](auto& s) { s.max_mem_update_fraction = 0.25; }},
      {"INFER_BATCH_SIZE", "4", [](auto& s) { s.infer_batch_size = {4}; }},
      {"MODEL_NUM_REPLICAS", "2", [](auto& s) { s.model_num_replicas = {2}; }},
      {"MAX_MODEL_REPLICAS", "3", [](auto& s) { s.max_model_replicas = {3}; }},
      {"MODEL_CREATE_UPDATE_DELETE_BIAS", "1,3,1", [](auto& s) { s.create_update_delete_bias = {1, 3, 1}; }},
      {"MODEL_START_IDX", "5", [](auto& s) { s.model_start_idx = 5; }},
      {"MODEL_END_IDX", "9", [](auto& s) { s.model_end_idx = 9; }},
      {"K6_DEBUG", "true", [](auto& s) { s.debug = true; }},
      {"VIA_PIPELINE", "true", [](auto& s) { s.via_pipeline = true; }},
      {"MODELNAME_PREFIX", "irisa", [](auto& s) { s.modelname_prefix = {"irisa"}; }},
      {"MODEL_NAME", "iris0", [](auto& s) { s.model_name = "iris0"; }},
      {"EXPERIMENTNAME_PREFIX", "exp", [](auto& s) { s.experiment_name_prefix = "exp"; }},
      {"MODEL_REPLICAS", "5", [](auto& s) { s.pipeline_model_replicas = 5; }},
      {"INFERENCE_SERVER_MAX_REPLICAS", "6", [](auto& s) { s.inference_server_max_replicas = 6; }},
      {"INFERENCE_SERVER_MIN_REPLICAS", "0", [](auto& s) { s.inference_server_min_replicas = 0; }},
      {"INFERENCE_SERVER_REPLICAS", "5", [](auto& s) { s.inference_server_replicas = 5; }},
      {"DATAFLOW_ENGINE_REPLICAS", "2", [](auto& s) { s.dataflow_engine_replicas = 2; }},
      {"PIPLINE_GW_REPLICAS", "3", [](auto& s) { s.pipeline_gw_replicas = 3; }},
      {"MODEL_GW_REPLICAS", "4", [](auto& s) { s.model_gw_replicas = 4; }},
      {"DATAFLOW_ENGINE_LIMIT_MEMORY", "8Gi", [](auto& s) { s.dataflow_engine_limit_memory = "8Gi"; }},
      {"MODEL_GW_NUM_WORKERS", "16", [](auto& s) { s.model_gw_num_workers = "16"; }},
      {"USE_GRPC", "True", [](auto& s) { s.use_grpc = true; }},
      {"SELDON_CONFIG_NAME", "fast", [](auto& s) { s.seldon_config_name = "fast"; }},
      {"SELDON_RUNTIME_NAME", "rt", [](auto& s) { s.seldon_runtime_name = "rt"; }},
      {"REQUEST_ID_PREFIX", "run7", [](auto& s) { s.request_id_prefix = "run7"; }},
      {"INFER_TYPE", "GRPC", [](auto& s) { s.infer_type = "GRPC"; }},
      {"WARMUP", "false", [](auto& s) { s.warmup = false; }},
      {"REQUEST_RATE", "20", [](auto& s) {
         s.request_rate = 20;
         s.request_rates = {20};
       }},
      {"REQUEST_RATES", "5,6", [](auto& s) {
         s.request_rates = {5, 6};
         s.request_rates_set = true;
       }},
      {"CONSTANT_RATE_DURATION_SECONDS", "60", [](auto& s) { s.constant_rate_duration = 60 * kSec; }},
      {"CONSTANT_RATE_DURATIONS_SECONDS", "1,2", [](auto& s) { s.constant_rate_durations_seconds = std::vector<std::int64_t>{1, 2}; }},
      {"NAMESPACE", "perf", [](auto& s) { s.kube_namespace = "perf"; }},
      {"MAX_CREATE_OPS_PER_VU", "500", [](auto& s) { s.max_create_ops_per_vu = 500; }},
      {"K8S_DELAY_SECONDS_PER_VU", "2.5", [](auto& s) { s.k8s_delay_per_vu = 2 * kSec + kSec / 2; }},
      {"CHECK_STATE_EVERY_SECONDS", "120", [](auto& s) { s.check_state_every = 120 * kSec; }},
      {"MAX_CHECK_TIME_SECONDS", "15", [](auto& s) { s.max_check_time = 15 * kSec; }},
      {"STOP_ON_CHECK_FAILURE", "false", [](auto& s) { s.stop_on_check_failure = false; }},
      {"ENABLE_STATE_CHECK", "false", [](auto& s) { s.enable_state_check = false; }},
      {"ENABLE_MODEL_REPLICA_CHANGE", "true", [](auto& s) { s.enable_model_replica_change = true; }},
      {"SLEEP_BETWEEN_REPLICA_CHANGE", "0", [](auto& s) { s.sleep_between_replica_change = 0; }},
      {"TEST_METADATA", "envoy_test", [](auto& s) { s.test_metadata = "envoy_test"; }},
  };
  std::set<std::string> covered{"MODEL_TYPE"};  // MODEL_TYPE reshapes every array: its own test
  for (const auto& c : cases) {
    SCOPED_TRACE(c.var + "=" + c.value);
    scv2::Settings expected = load({});
    c.expect(expected);
    EXPECT_TRUE(load({{c.var, c.value}}) == expected);
    EXPECT_FALSE(load({}) == expected);  // the value is not the default: the case shows the variable is read
    covered.insert(c.var);
  }
  EXPECT_EQ(covered, kEveryVariable);
}

TEST(Scv2Settings, AnEmptyVariableIsUnset) {
  Vars every_empty;
  for (const auto& v : kEveryVariable) every_empty[v] = "";
  EXPECT_TRUE(load(every_empty) == load({}));
}

TEST(Scv2Settings, ExactlyTrueBooleans) {
  struct Flag {
    std::string var;
    bool dflt;
    bool scv2::Settings::*field;
  };
  const std::vector<Flag> flags = {
      {"USE_KUBE_CONTROL_PLANE", false, &scv2::Settings::use_kube_control_plane},
      {"ENVOY", true, &scv2::Settings::envoy},
      {"SCHEDULER_PROXY", false, &scv2::Settings::scheduler_proxy},
      {"VIA_PIPELINE", false, &scv2::Settings::via_pipeline},
      {"K6_DEBUG", false, &scv2::Settings::debug},
      {"WARMUP", true, &scv2::Settings::warmup},
      {"STOP_ON_CHECK_FAILURE", true, &scv2::Settings::stop_on_check_failure},
      {"ENABLE_STATE_CHECK", true, &scv2::Settings::enable_state_check},
      {"ENABLE_MODEL_REPLICA_CHANGE", false, &scv2::Settings::enable_model_replica_change},
  };
  for (const auto& f : flags) {
    SCOPED_TRACE(f.var);
    EXPECT_EQ(load({}).*f.field, f.dflt);
    EXPECT_EQ(load({{f.var, ""}}).*f.field, f.dflt);
    EXPECT_TRUE(load({{f.var, "true"}}).*f.field);
    for (const char* off : {"True", "TRUE", "false", "1", "yes", " true", "true "}) {
      EXPECT_FALSE(load({{f.var, off}}).*f.field) << off;
    }
  }
}

TEST(Scv2Settings, CaseInsensitiveBooleans) {
  for (auto field : {&scv2::Settings::skip_setup, &scv2::Settings::use_grpc}) {
    const std::string var = field == &scv2::Settings::skip_setup ? "SKIP_SETUP" : "USE_GRPC";
    SCOPED_TRACE(var);
    EXPECT_FALSE(load({}).*field);
    EXPECT_FALSE(load({{var, ""}}).*field);
    for (const char* on : {"true", "True", "TRUE", "tRuE"}) EXPECT_TRUE(load({{var, on}}).*field) << on;
    for (const char* off : {"false", "1", "yes", "truee", "tru"}) EXPECT_FALSE(load({{var, off}}).*field) << off;
  }
}

TEST(Scv2Settings, SkipFlagsArePresenceFlags) {
  const std::vector<std::pair<std::string, bool scv2::Settings::*>> flags = {
      {"SKIP_LOAD_MODEL", &scv2::Settings::skip_load_model},
      {"SKIP_LOAD_EXPERIMENT", &scv2::Settings::skip_load_experiment},
      {"SKIP_INFER", &scv2::Settings::skip_infer},
      {"SKIP_UNLOAD_MODEL", &scv2::Settings::skip_unload_model},
      {"SKIP_UNLOAD_EXPERIMENT", &scv2::Settings::skip_unload_experiment},
  };
  for (const auto& [var, field] : flags) {
    SCOPED_TRACE(var);
    EXPECT_FALSE(load({}).*field);
    EXPECT_FALSE(load({{var, ""}}).*field);  // empty reads as unset
    for (const char* any : {"true", "false", "0", "no", "x"}) EXPECT_TRUE(load({{var, any}}).*field) << any;
  }
}

TEST(Scv2Settings, PerTypeArraysFollowModelType) {
  const Vars three = {{"MODEL_TYPE", "tfsimple,iris,echo"}};
  const scv2::Settings d = load(three);
  EXPECT_EQ(d.modelname_prefix, (std::vector<std::string>{"tfsimple", "iris", "echo"}));
  EXPECT_EQ(d.max_num_models, (std::vector<long long>{1, 1, 1}));
  EXPECT_EQ(d.infer_batch_size, (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(d.model_num_replicas, (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(d.max_model_replicas, (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(d.max_num_models_headroom, (std::vector<long long>{0, 0, 0}));
  EXPECT_EQ(d.model_memory, (std::vector<std::string>{"0", "0", "0"}));
  EXPECT_EQ(d.model_memory_bytes, (std::vector<std::uint64_t>{0, 0, 0}));

  const scv2::Settings s = load(with(three, {{"MODEL_NUM_REPLICAS", "1, 2,3"},
                                             {"MAX_MODEL_REPLICAS", "2,0,2"},
                                             {"MAX_NUM_MODELS_HEADROOM", "20,5,0,99"},  // extra values are ignored
                                             {"MODEL_MEMORY_BYTES", "400k,1.5Gi,500,9"}}));
  EXPECT_EQ(s.model_num_replicas, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(s.max_model_replicas, (std::vector<int>{2, 0, 2}));
  EXPECT_EQ(s.max_num_models_headroom, (std::vector<long long>{20, 5, 0}));
  EXPECT_EQ(s.model_memory, (std::vector<std::string>{"400k", "1.5Gi", "500"}));
  EXPECT_EQ(s.model_memory_bytes, (std::vector<std::uint64_t>{400000, 1610612736, 500}));

  for (const char* var : {"MODELNAME_PREFIX", "MAX_NUM_MODELS", "INFER_BATCH_SIZE", "MODEL_NUM_REPLICAS",
                          "MAX_MODEL_REPLICAS", "MAX_NUM_MODELS_HEADROOM", "MODEL_MEMORY_BYTES"}) {
    EXPECT_EQ(message_of(with(three, {{var, "1,1"}})),
              std::string(var) + ": has 2 value(s) but MODEL_TYPE has 3 (\"1,1\" for \"tfsimple,iris,echo\")");
  }
}

TEST(Scv2Settings, ModelCreateUpdateDeleteBiasTakesTheFirstThree) {
  EXPECT_EQ(load({{"MODEL_CREATE_UPDATE_DELETE_BIAS", "2,0,5,9"}}).create_update_delete_bias,
            (std::array<int, 3>{2, 0, 5}));
  EXPECT_EQ(message_of({{"MODEL_CREATE_UPDATE_DELETE_BIAS", "1,3"}}),
            "MODEL_CREATE_UPDATE_DELETE_BIAS: \"1,3\" has 2 value(s) but needs 3 (create, update and delete weights)");
}

TEST(Scv2Settings, MaxMemUpdateFractionIsARealNumber) {
  EXPECT_DOUBLE_EQ(load({{"MAX_MEM_UPDATE_FRACTION", "0.1"}}).max_mem_update_fraction, 0.1);
  EXPECT_DOUBLE_EQ(load({{"MAX_MEM_UPDATE_FRACTION", "1e-1"}}).max_mem_update_fraction, 0.1);
  EXPECT_DOUBLE_EQ(load({{"MAX_MEM_UPDATE_FRACTION", "1"}}).max_mem_update_fraction, 1.0);
  EXPECT_DOUBLE_EQ(load({{"MAX_MEM_UPDATE_FRACTION", ".5"}}).max_mem_update_fraction, 0.5);
}

TEST(Scv2Settings, SecondsMayBeFractional) {
  EXPECT_EQ(load({{"SLEEP_BETWEEN_REPLICA_CHANGE", "0.25"}}).sleep_between_replica_change, kSec / 4);
  EXPECT_EQ(load({{"CHECK_STATE_EVERY_SECONDS", "240.5"}}).check_state_every, 240 * kSec + kSec / 2);
  EXPECT_EQ(load({{"MAX_CHECK_TIME_SECONDS", "0"}}).max_check_time, 0);
}

TEST(Scv2Settings, TheBaseJobsWholeEnvBlock) {
  const scv2::Settings s = load(kBaseJob);
  EXPECT_EQ(s.request_rate, 20);
  EXPECT_EQ(s.request_rates, std::vector<std::int64_t>{20});
  EXPECT_EQ(s.constant_rate_duration, 60 * kSec);
  EXPECT_TRUE(s.use_kube_control_plane);
  EXPECT_EQ(s.scheduler_endpoint, "10.244.0.17:9004");
  EXPECT_EQ(s.infer_http_iterations, 1);
  EXPECT_EQ(s.infer_grpc_iterations, 1);
  EXPECT_EQ(s.modelname_prefix,
            (std::vector<std::string>{"tfsimplea", "pytorch-cifar10a", "tfmnista", "mlflow-winea", "irisa"}));
  EXPECT_EQ(s.model_type, (std::vector<std::string>{"tfsimple", "pytorch_cifar10", "tfmnist", "mlflow_wine", "iris"}));
  EXPECT_EQ(s.model_memory, (std::vector<std::string>{"400k", "8M", "43M", "200k", "3M"}));
  EXPECT_EQ(s.model_memory_bytes, (std::vector<std::uint64_t>{400000, 8000000, 43000000, 200000, 3000000}));
  EXPECT_DOUBLE_EQ(s.max_mem_update_fraction, 0.1);
  EXPECT_EQ(s.max_num_models, (std::vector<long long>{800, 100, 25, 100, 100}));
  EXPECT_EQ(s.infer_batch_size, (std::vector<int>{1, 1, 1, 1, 1}));
  EXPECT_FALSE(s.warmup);
  EXPECT_EQ(s.kube_namespace, "seldon-mesh");
  // Everything the Job leaves unset keeps its default, one per type for the arrays.
  EXPECT_EQ(s.model_num_replicas, (std::vector<int>{1, 1, 1, 1, 1}));
  EXPECT_EQ(s.max_model_replicas, (std::vector<int>{1, 1, 1, 1, 1}));
  EXPECT_EQ(s.max_num_models_headroom, (std::vector<long long>{0, 0, 0, 0, 0}));
  EXPECT_TRUE(s.envoy);
  EXPECT_FALSE(s.skip_load_model);
  EXPECT_EQ(s.infer_http_endpoint, "http://0.0.0.0:9000");
}

TEST(Scv2Settings, TheBaseJobsCommentedExamples) {
  const scv2::Settings s = load(with(kBaseJob, {{"REQUEST_RATES", "10,70,10,50,20"},
                                                 {"CONSTANT_RATE_DURATIONS_SECONDS", "120,120,400,120,400"},
                                                 {"SKIP_UNLOAD_MODEL", "true"},
                                                 {"MAX_NUM_MODELS_HEADROOM", "20,5,0,20,30"},
                                                 {"MAX_MODEL_REPLICAS", "2,2,0,2,2"},
                                                 {"MODEL_CREATE_UPDATE_DELETE_BIAS", "1,3,1"},
                                                 {"ENABLE_MODEL_REPLICA_CHANGE", "true"},
                                                 {"SLEEP_BETWEEN_REPLICA_CHANGE", "30"}}));
  EXPECT_EQ(s.request_rates, (std::vector<std::int64_t>{10, 70, 10, 50, 20}));
  EXPECT_TRUE(s.skip_unload_model);
  EXPECT_EQ(s.max_num_models_headroom, (std::vector<long long>{20, 5, 0, 20, 30}));
  EXPECT_EQ(s.max_model_replicas, (std::vector<int>{2, 2, 0, 2, 2}));
  EXPECT_EQ(s.create_update_delete_bias, (std::array<int, 3>{1, 3, 1}));
  EXPECT_TRUE(s.enable_model_replica_change);
  EXPECT_EQ(s.sleep_between_replica_change, 30 * kSec);
}

TEST(Scv2Settings, BadValuesNameTheVariableAndShowTheValue) {
  struct Bad {
    std::string var;
    std::string value;
    std::string shown;  // the part of the value at fault, quoted in the message
  };
  const std::vector<Bad> bad = {
      {"INFER_HTTP_ITERATIONS", "one", "one"},
      {"INFER_GRPC_ITERATIONS", "-1", "-1"},
      {"MAX_NUM_MODELS", "ten", "ten"},
      {"MAX_NUM_MODELS_HEADROOM", "-5", "-5"},
      {"MAX_NUM_MODELS_HEADROOM", "a", "a"},
      {"MODEL_MEMORY_BYTES", "12x", "12x"},
      {"MODEL_MEMORY_BYTES", "400kB", "400kB"},
      {"MODEL_MEMORY_BYTES", "-400k", "-400k"},
      {"MODEL_MEMORY_BYTES", "16Ei", "16Ei"},
      {"MODEL_MEMORY_BYTES", "99999999999999999999", "99999999999999999999"},
      {"MAX_MEM_UPDATE_FRACTION", "tenth", "tenth"},
      {"MAX_MEM_UPDATE_FRACTION", "1.5", "1.5"},
      {"MAX_MEM_UPDATE_FRACTION", "-0.1", "-0.1"},
      {"MAX_MEM_UPDATE_FRACTION", "nan", "nan"},
      {"MAX_MEM_UPDATE_FRACTION", "inf", "inf"},
      {"MAX_MEM_UPDATE_FRACTION", "0.1x", "0.1x"},
      {"INFER_BATCH_SIZE", "0", "0"},
      {"MODEL_NUM_REPLICAS", "0", "0"},
      {"MODEL_NUM_REPLICAS", "two", "two"},
      {"MAX_MODEL_REPLICAS", "-1", "-1"},
      {"MODEL_CREATE_UPDATE_DELETE_BIAS", "1,x,1", "x"},
      {"MODEL_CREATE_UPDATE_DELETE_BIAS", "1,-3,1", "-3"},
      {"MODEL_START_IDX", "first", "first"},
      {"MODEL_END_IDX", "-1", "-1"},
      {"MODEL_REPLICAS", "0", "0"},
      {"MODEL_REPLICAS", "many", "many"},
      {"INFERENCE_SERVER_MAX_REPLICAS", "x", "x"},
      {"INFERENCE_SERVER_MIN_REPLICAS", "-1", "-1"},
      {"INFERENCE_SERVER_REPLICAS", "1.5", "1.5"},
      {"DATAFLOW_ENGINE_REPLICAS", "two", "two"},
      {"PIPLINE_GW_REPLICAS", "-2", "-2"},
      {"MODEL_GW_REPLICAS", "2x", "2x"},
      {"REQUEST_RATE", "fast", "fast"},
      {"REQUEST_RATES", "10,x", "x"},
      {"CONSTANT_RATE_DURATION_SECONDS", "30s", "30s"},
      {"CONSTANT_RATE_DURATIONS_SECONDS", "1.5", "1.5"},
      {"MAX_CREATE_OPS_PER_VU", "0", "0"},
      {"MAX_CREATE_OPS_PER_VU", "lots", "lots"},
      {"K8S_DELAY_SECONDS_PER_VU", "10s", "10s"},
      {"CHECK_STATE_EVERY_SECONDS", "-240", "-240"},
      {"MAX_CHECK_TIME_SECONDS", "ten", "ten"},
      {"SLEEP_BETWEEN_REPLICA_CHANGE", "1m", "1m"},
  };
  for (const auto& [var, value, shown] : bad) {
    const std::string m = message_of({{var, value}});
    EXPECT_EQ(m.rfind(var + ": ", 0), 0u) << var << "=" << value << " -> " << m;
    EXPECT_NE(m.find("\"" + shown + "\""), std::string::npos) << var << "=" << value << " -> " << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  EXPECT_EQ(message_of({{"MODEL_MEMORY_BYTES", "-400k"}}), "MODEL_MEMORY_BYTES: \"-400k\" is negative");
  EXPECT_EQ(message_of({{"MODEL_MEMORY_BYTES", "16Ei"}}), "MODEL_MEMORY_BYTES: \"16Ei\" is larger than 2^64-1");
  EXPECT_EQ(message_of({{"MODEL_TYPE", "a,b"}, {"MODEL_MEMORY_BYTES", "1k,8Q"}}).rfind(
                "MODEL_MEMORY_BYTES: \"8Q\" is not a Kubernetes quantity", 0),
            0u);
  EXPECT_EQ(message_of({{"MODEL_NUM_REPLICAS", "0"}}), "MODEL_NUM_REPLICAS: \"0\" is out of range (1..1000000)");
}

TEST(KubernetesOnlySettings, TheBaseJobNeedsKubernetesToLoadModels) {
  const auto reasons = scv2::kubernetes_only_settings(load(kBaseJob));
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0],
            "USE_KUBE_CONTROL_PLANE=true: loading and unloading models through Kubernetes custom resources is not "
            "supported yet; unset it to use the scheduler at SCHEDULER_ENDPOINT (10.244.0.17:9004), or set "
            "SKIP_LOAD_MODEL and SKIP_UNLOAD_MODEL (or pass --no-teardown) when the models are already loaded");
  // The Job's own args pass --no-teardown: only the loading needs Kubernetes.
  const auto no_teardown = scv2::kubernetes_only_settings(load(kBaseJob), {.teardown = false});
  ASSERT_EQ(no_teardown.size(), 1u);
  EXPECT_EQ(no_teardown[0].rfind("USE_KUBE_CONTROL_PLANE=true: loading models through Kubernetes", 0), 0u);
  EXPECT_NE(no_teardown[0].find("or set SKIP_LOAD_MODEL when the models"), std::string::npos) << no_teardown[0];
}

TEST(KubernetesOnlySettings, WhatTheBaseJobMerelySetsDoesNotStopADataPlaneRun) {
  // MAX_MEM_UPDATE_FRACTION=0.1 stays: only the QA scenario reads it.
  EXPECT_TRUE(scv2::kubernetes_only_settings(load(without(kBaseJob, "USE_KUBE_CONTROL_PLANE"))).empty());
  EXPECT_TRUE(scv2::kubernetes_only_settings(load(with(kBaseJob, {{"USE_KUBE_CONTROL_PLANE", "false"}}))).empty());
  // Models already loaded, and the Job's --no-teardown.
  EXPECT_TRUE(
      scv2::kubernetes_only_settings(load(with(kBaseJob, {{"SKIP_LOAD_MODEL", "true"}})), {.teardown = false}).empty());
  EXPECT_TRUE(scv2::kubernetes_only_settings(load(with(kBaseJob, {{"SKIP_LOAD_MODEL", "1"}, {"SKIP_UNLOAD_MODEL", "1"}})))
                  .empty());
  // model_constant_rate has no setup, no teardown and no replica changes.
  EXPECT_TRUE(scv2::kubernetes_only_settings(load(with(kBaseJob, {{"ENABLE_MODEL_REPLICA_CHANGE", "true"}})),
                                             {.setup = false, .teardown = false, .replica_changes = false})
                  .empty());
}

TEST(KubernetesOnlySettings, UnloadingAloneIsReported) {
  const auto reasons =
      scv2::kubernetes_only_settings(load(with(kBaseJob, {{"SKIP_LOAD_MODEL", "false"}})));  // presence: skipped
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0].rfind("USE_KUBE_CONTROL_PLANE=true: unloading models through Kubernetes", 0), 0u);
  EXPECT_NE(reasons[0].find("or set SKIP_UNLOAD_MODEL (or pass --no-teardown) when"), std::string::npos) << reasons[0];
}

TEST(KubernetesOnlySettings, ReplicaChangesAlwaysGoThroughKubernetes) {
  const auto reasons = scv2::kubernetes_only_settings(load({{"ENABLE_MODEL_REPLICA_CHANGE", "true"}}));
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0].rfind("ENABLE_MODEL_REPLICA_CHANGE=true: ", 0), 0u);
  EXPECT_EQ(reasons[0].find('\n'), std::string::npos);
  EXPECT_TRUE(scv2::kubernetes_only_settings(load({{"ENABLE_MODEL_REPLICA_CHANGE", "True"}})).empty());  // == true
  EXPECT_EQ(scv2::kubernetes_only_settings(load(with(kBaseJob, {{"ENABLE_MODEL_REPLICA_CHANGE", "true"}}))).size(), 2u);
}

TEST(KubernetesOnlySettings, QaAndPipelineVariablesNeverStopADataPlaneRun) {
  const Vars qa_and_pipeline = {
      {"MAX_NUM_MODELS_HEADROOM", "20"},      {"MAX_MEM_UPDATE_FRACTION", "0.5"},
      {"MODEL_CREATE_UPDATE_DELETE_BIAS", "1,3,1"}, {"MAX_CREATE_OPS_PER_VU", "100"},
      {"K8S_DELAY_SECONDS_PER_VU", "1"},      {"CHECK_STATE_EVERY_SECONDS", "60"},
      {"MAX_CHECK_TIME_SECONDS", "5"},        {"STOP_ON_CHECK_FAILURE", "false"},
      {"ENABLE_STATE_CHECK", "false"},        {"MODEL_REPLICAS", "5"},
      {"INFERENCE_SERVER_REPLICAS", "5"},     {"INFERENCE_SERVER_MIN_REPLICAS", "5"},
      {"INFERENCE_SERVER_MAX_REPLICAS", "5"}, {"DATAFLOW_ENGINE_REPLICAS", "2"},
      {"DATAFLOW_ENGINE_LIMIT_MEMORY", "8G"}, {"PIPLINE_GW_REPLICAS", "2"},
      {"MODEL_GW_REPLICAS", "2"},             {"MODEL_GW_NUM_WORKERS", "8"},
      {"SELDON_CONFIG_NAME", "x"},            {"SELDON_RUNTIME_NAME", "y"},
      {"USE_GRPC", "true"},                   {"SKIP_SETUP", "true"},
      {"MAX_MODEL_REPLICAS", "3"},            {"SLEEP_BETWEEN_REPLICA_CHANGE", "1"},
      {"NAMESPACE", "perf"},
  };
  EXPECT_TRUE(scv2::kubernetes_only_settings(load(qa_and_pipeline)).empty());
}
