#pragma once
// The environment variables of SCv2's k6 suite (tests/k6/components/settings.js), with the same
// names, defaults and parse rules, so that existing Job manifests configure inferload unchanged.
#include <functional>
#include <optional>
#include <string>
#include <vector>

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
};

// Reads and validates every variable above. Throws std::invalid_argument with a one-line message
// that starts with the variable's name.
Settings load_settings(const EnvLookup& env);

}  // namespace inferload::scv2
