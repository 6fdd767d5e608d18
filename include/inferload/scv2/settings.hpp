#pragma once
// The environment variables of SCv2's k6 suite (tests/k6/components/settings.js), with the same
// names, defaults and parse rules, so that existing Job manifests configure inferload unchanged.
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
  // Index-aligned per model type.
  std::vector<std::string> model_type{"iris"};
  std::vector<std::string> modelname_prefix;
  std::vector<long long> max_num_models;
  std::vector<int> infer_batch_size;
  int infer_http_iterations = 1;
  int infer_grpc_iterations = 1;
  bool envoy = true;            // ENVOY == "true"
  bool scheduler_proxy = false; // SCHEDULER_PROXY == "true"
  bool via_pipeline = false;    // VIA_PIPELINE == "true"
  bool debug = false;           // K6_DEBUG == "true"

  // The open-loop scripts (infer_constant_rate, infer_multiple_rates, model_constant_rate).
  std::int64_t request_rate = 10;                   // REQUEST_RATE, per second
  std::vector<std::int64_t> request_rates{10};      // REQUEST_RATES; [REQUEST_RATE] when unset
  bool request_rates_set = false;                   // the stages differ when it is unset
  runtime::Nanos constant_rate_duration = 30 * runtime::kSecond;  // CONSTANT_RATE_DURATION_SECONDS
  std::optional<std::vector<std::int64_t>> constant_rate_durations_seconds;  // CONSTANT_RATE_DURATIONS_SECONDS
  std::string infer_type = "REST";  // INFER_TYPE: exactly "REST" is REST, anything else gRPC
  long long model_start_idx = 0;    // MODEL_START_IDX
  long long model_end_idx = 0;      // MODEL_END_IDX; 0: the last model of type 0
  std::string model_name;           // MODEL_NAME; non-empty: every request goes to it
};

// Reads and validates every variable above. Throws std::invalid_argument with a one-line message
// that starts with the variable's name.
Settings load_settings(const EnvLookup& env);

}  // namespace inferload::scv2
