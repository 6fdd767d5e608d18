#include "inferload/scenario/control_models.hpp"

#include "inferload/http1/uri.hpp"
#include "inferload/scv2/catalogue.hpp"
#include "inferload/scv2/targets.hpp"

namespace inferload::scenario {
namespace {

// setupBase builds every model with this URI offset.
constexpr int kSetupUriOffset = 1;

}  // namespace

std::vector<ControlModel> setup_models(const scv2::Settings& settings, const net::HttpUrl& url, bool warmup) {
  // The warm-up sends each model one inference at batch size 1, whatever INFER_BATCH_SIZE says.
  std::unique_ptr<scv2::TargetTable> warm;
  std::unique_ptr<scv2::RestRequestBuffer> warm_buffer;
  if (warmup) {
    scv2::Settings one = settings;
    one.infer_batch_size.assign(one.infer_batch_size.size(), 1);
    one.request_id_prefix.reset();  // the suite's warm-up sends none
    warm = std::make_unique<scv2::TargetTable>(one, url);
    warm_buffer = std::make_unique<scv2::RestRequestBuffer>(*warm);
  }
  std::vector<ControlModel> models;
  std::uint32_t table_type = 0;  // the warm-up table keeps only the types with models
  for (std::size_t j = 0; j < settings.model_type.size(); ++j) {
    const long long count = settings.max_num_models[j];
    if (count <= 0) continue;
    const scv2::ModelSpecDefaults spec = scv2::model_spec(settings.model_type[j], kSetupUriOffset);
    for (long long i = 0; i < count; ++i) {
      ControlModel m;
      m.definition.name = settings.modelname_prefix[j] + std::to_string(i);
      m.definition.uri = spec.uri;
      m.definition.requirements = spec.requirements;
      m.definition.memory_bytes = settings.model_memory_bytes[j];
      m.definition.replicas = static_cast<std::uint32_t>(settings.model_num_replicas[j]);
      m.target = scv2::target_name(settings, m.definition.name);
      // Through a pipeline the gateway answers for the pipeline; otherwise the model's own route.
      m.probe_route = settings.via_pipeline
                          ? "/v2/pipelines/" + http1::percent_encode_path_segment(m.definition.name) + "/ready"
                          : "/v2/models/" + http1::percent_encode_path_segment(m.target) + "/ready";
      std::vector<http1::Header> headers = scv2::rest_headers(settings, m.target);
      m.ready_probe = http1::make_request("GET", url.base_path + m.probe_route, headers, nullptr);
      if (warm) {
        const scv2::ModelPick pick{table_type, static_cast<std::uint32_t>(i)};
        m.warmup = std::make_shared<const http1::RequestTemplate>(warm->rest(pick, *warm_buffer));
        m.warmup_route = "/v2/models/" + warm->name(pick) + "/infer";
      }
      models.push_back(std::move(m));
    }
    ++table_type;
  }
  return models;
}

}  // namespace inferload::scenario
