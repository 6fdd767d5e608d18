#include "inferload/scv2/catalogue.hpp"

#include <stdexcept>

namespace inferload::scv2 {
namespace {

struct CatalogueEntry {
  std::string type;
  std::string uri;
  std::vector<std::string> requirements;
  int max_uri_suffix = 0;  // > 0: the URI ends in (offset mod this)
};

constexpr std::uint64_t kDefaultMemoryBytes = 20000;

// The suite's catalogue, in its order (section 4.1).
const std::vector<CatalogueEntry>& catalogue() {
  static const std::vector<CatalogueEntry> entries = {
      {"tfsimple", "gs://seldon-models/triton/simple", {"tensorflow"}},
      {"tfsimple_string", "gs://seldon-models/triton/tf_simple_string", {"tensorflow"}},
      {"iris", "gs://seldon-models/testing/iris", {"sklearn"}, 10},
      {"pytorch_cifar10", "gs://seldon-models/triton/pytorch_cifar10/cifar10", {"pytorch"}},
      {"tfmnist", "gs://seldon-models/triton/tf_mnist", {"tensorflow"}},
      {"tfresnet152", "gs://seldon-models/triton/tf_resnet152", {"tensorflow"}},
      {"onnx_gpt2", "gs://seldon-models/triton/onnx_gpt2/gpt2", {"onnx"}},
      {"mlflow_wine", "gs://seldon-models/mlflow/elasticnet_wine_model_mlserver_1_1", {"mlflow"}},
      {"add10", "gs://seldon-models/triton/add10", {"tensorflow", "python"}},
      {"sentiment", "gs://seldon-models/mlserver/huggingface/sentiment", {"huggingface"}},
      {"echo", "gs://seldon-models/integration-tests/models/mlserver/echo", {"mlserver"}},
      {"synth", "gs://seldon-models/integration-tests/models/mlserver/reference-workload-model", {"mlserver"}},
  };
  return entries;
}

const CatalogueEntry* find_entry(const std::string& type) {
  for (const CatalogueEntry& e : catalogue()) {
    if (e.type == type) return &e;
  }
  return nullptr;
}

}  // namespace

const std::vector<std::string>& known_model_types() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> v;
    for (const CatalogueEntry& e : catalogue()) v.push_back(e.type);
    return v;
  }();
  return types;
}

void check_model_type(const std::string& type) {
  if (find_entry(type)) return;
  std::string known;
  for (const auto& t : known_model_types()) known += (known.empty() ? "" : ", ") + t;
  throw std::invalid_argument("MODEL_TYPE: unknown model type \"" + type + "\" (known: " + known + ")");
}

ModelSpecDefaults model_spec(const std::string& type, int uri_offset) {
  check_model_type(type);
  const CatalogueEntry& e = *find_entry(type);
  if (uri_offset < 0) {
    throw std::invalid_argument("storage URI offset " + std::to_string(uri_offset) + " of model type \"" + type +
                                "\" is negative");
  }
  ModelSpecDefaults spec{e.uri, e.requirements, kDefaultMemoryBytes};
  if (e.max_uri_suffix > 0) spec.uri += std::to_string(uri_offset % e.max_uri_suffix);
  return spec;
}

}  // namespace inferload::scv2
