#pragma once
// The environment variables of SCv2's k6 suite (tests/k6/components/settings.js), with the same
// names, defaults and parse rules, so that existing Job manifests configure inferload unchanged.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "inferload/runtime/clock.hpp"

namespace inferload::scv2 {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Looks variables up in the process environment.
EnvLookup process_env();

struct Settings {
  std::string infer_http_endpoint = "http://0.0.0.0:9000";
  std::string infer_grpc_endpoint = "0.0.0.0:9000";
  std::string scheduler_endpoint = "0.0.0.0:9004";  // SCHEDULER_ENDPOINT, host:port of the scheduler (or its proxy)
  // Index-aligned per model type.
  std::vector<std::string> model_type{"iris"};
  std::vector<std::string> modelname_prefix;
  std::vector<long long> max_num_models;
  std::vector<int> infer_batch_size;
  std::vector<int> model_num_replicas;          // MODEL_NUM_REPLICAS: replicas each model is loaded with
  std::vector<int> max_model_replicas;          // MAX_MODEL_REPLICAS: bound of injected replica changes
  std::vector<long long> max_num_models_headroom;  // MAX_NUM_MODELS_HEADROOM (control-plane QA)
  std::vector<std::string> model_memory;        // MODEL_MEMORY_BYTES as written ("400k"), for Model resources
  std::vector<std::uint64_t> model_memory_bytes;  // the same as bytes (Kubernetes quantities), for the scheduler
  int infer_http_iterations = 1;
  int infer_grpc_iterations = 1;
  // Kafka requests per iteration (Kafka direct mode); unset counts as 0, or as 1 with
  // INFER_TYPE=KAFKA.
  std::optional<int> infer_kafka_iterations;
  bool envoy = true;            // ENVOY == "true"
  bool scheduler_proxy = false; // SCHEDULER_PROXY == "true"
  bool via_pipeline = false;    // VIA_PIPELINE == "true"
  bool debug = false;           // K6_DEBUG == "true"

  // The suite's lifecycle switches. SKIP_* (but SKIP_SETUP) are presence flags: any non-empty
  // value, "false" included, turns the step off.
  bool skip_setup = false;              // SKIP_SETUP, "true" in any case (pipeline scenarios)
  bool skip_load_model = false;         // SKIP_LOAD_MODEL: also skips the readiness wait and warm-up
  bool skip_load_experiment = false;    // SKIP_LOAD_EXPERIMENT
  bool skip_infer = false;              // SKIP_INFER
  bool skip_unload_model = false;       // SKIP_UNLOAD_MODEL
  bool skip_unload_experiment = false;  // SKIP_UNLOAD_EXPERIMENT
  bool warmup = true;                   // WARMUP == "true": one REST call per model after loading

  // The control plane.
  bool use_kube_control_plane = false;  // USE_KUBE_CONTROL_PLANE == "true": models as custom resources
  std::string kube_namespace = "seldon-mesh";  // NAMESPACE of every custom resource
  std::string experiment_name_prefix = "experiment";  // EXPERIMENTNAME_PREFIX
  bool enable_model_replica_change = false;  // ENABLE_MODEL_REPLICA_CHANGE == "true": VU 1 changes models mid-run
  runtime::Nanos sleep_between_replica_change = 10 * runtime::kSecond;  // SLEEP_BETWEEN_REPLICA_CHANGE

  // The control-plane QA scenario (core2_qa_control_plane_ops).
  double max_mem_update_fraction = 0;  // MAX_MEM_UPDATE_FRACTION: largest relative memory change of an update
  std::array<int, 3> create_update_delete_bias{1, 1, 1};  // MODEL_CREATE_UPDATE_DELETE_BIAS, relative weights
  long long max_create_ops_per_vu = 10000;  // MAX_CREATE_OPS_PER_VU: size of each VU's range of model ids
  runtime::Nanos k8s_delay_per_vu = 10 * runtime::kSecond;      // K8S_DELAY_SECONDS_PER_VU, after a successful op
  runtime::Nanos check_state_every = 240 * runtime::kSecond;    // CHECK_STATE_EVERY_SECONDS
  runtime::Nanos max_check_time = 10 * runtime::kSecond;        // MAX_CHECK_TIME_SECONDS, the quiet window
  bool stop_on_check_failure = true;  // STOP_ON_CHECK_FAILURE == "true"
  bool enable_state_check = true;     // ENABLE_STATE_CHECK == "true"; also: setup waits for pipelines

  // The pipeline scenarios (scenarios/pipeline/**).
  int pipeline_model_replicas = 1;        // MODEL_REPLICAS (not MODEL_NUM_REPLICAS)
  int inference_server_replicas = 1;      // INFERENCE_SERVER_REPLICAS
  int inference_server_min_replicas = 1;  // INFERENCE_SERVER_MIN_REPLICAS
  int inference_server_max_replicas = 1;  // INFERENCE_SERVER_MAX_REPLICAS
  int dataflow_engine_replicas = 1;       // DATAFLOW_ENGINE_REPLICAS
  int pipeline_gw_replicas = 1;           // PIPLINE_GW_REPLICAS (the suite's spelling)
  int model_gw_replicas = 1;              // MODEL_GW_REPLICAS
  std::string dataflow_engine_limit_memory = "4G";  // DATAFLOW_ENGINE_LIMIT_MEMORY, as written
  std::string model_gw_num_workers = "4";           // MODEL_GW_NUM_WORKERS, as written
  bool use_grpc = false;                            // USE_GRPC, "true" in any case
  std::string seldon_config_name = "default";       // SELDON_CONFIG_NAME
  std::string seldon_runtime_name = "seldon";       // SELDON_RUNTIME_NAME
  std::optional<std::string> request_id_prefix;     // REQUEST_ID_PREFIX: x-request-id "<prefix>_<15 random>"

  std::string test_metadata;  // TEST_METADATA: free-text tag of the run

  // The open-loop scripts (infer_constant_rate, infer_multiple_rates, model_constant_rate).
  std::int64_t request_rate = 10;                   // REQUEST_RATE, per second
  std::vector<std::int64_t> request_rates{10};      // REQUEST_RATES; [REQUEST_RATE] when unset
  bool request_rates_set = false;                   // the stages differ when it is unset
  runtime::Nanos constant_rate_duration = 30 * runtime::kSecond;  // CONSTANT_RATE_DURATION_SECONDS
  std::optional<std::vector<std::int64_t>> constant_rate_durations_seconds;  // CONSTANT_RATE_DURATIONS_SECONDS
  // INFER_TYPE: exactly "REST" is REST, exactly "KAFKA" Kafka direct mode, anything else gRPC.
  std::string infer_type = "REST";
  long long model_start_idx = 0;    // MODEL_START_IDX
  long long model_end_idx = 0;      // MODEL_END_IDX; 0: the last model of type 0
  std::string model_name;           // MODEL_NAME; non-empty: every request goes to it

  bool operator==(const Settings&) const = default;
};

// Reads and validates every variable above; an empty variable counts as unset, as in k6. Throws
// std::invalid_argument with a one-line message that starts with the variable's name and shows
// its value.
Settings load_settings(const EnvLookup& env);

}  // namespace inferload::scv2
