#include "inferload/scv2/settings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "inferload/scv2/quantity.hpp"

namespace inferload::scv2 {
namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = s.find(',', start);
    std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    out.push_back(b == std::string::npos ? std::string() : item.substr(b, e - b + 1));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

[[noreturn]] void bad(const std::string& var, const std::string& why) { throw std::invalid_argument(var + ": " + why); }

long long parse_int(const std::string& var, const std::string& text, long long min, long long max) {
  long long v = 0;
  const char* b = text.data();
  const char* e = b + text.size();
  auto [p, ec] = std::from_chars(b, e, v);
  // JavaScript's Number("5.0") is 5: accept a fractional part of zeros.
  if (ec == std::errc() && p != e && *p == '.') {
    const char* q = p + 1;
    while (q != e && *q == '0') ++q;
    if (q == e && q != p + 1) p = e;
  }
  if (text.empty() || ec != std::errc() || p != e) bad(var, "\"" + text + "\" is not a whole number");
  if (v < min || v > max) {
    bad(var, "\"" + text + "\" is out of range (" + std::to_string(min) + ".." + std::to_string(max) + ")");
  }
  return v;
}

// A number of seconds as JavaScript's Number() reads it (digits, an optional fraction), exactly
// in nanoseconds: "7.5" is 7.5 s, as the suite's `value + 's'` hands it to k6.
runtime::Nanos parse_seconds(const std::string& var, const std::string& text) {
  constexpr long long kMaxSeconds = 100LL * 365 * 24 * 3600;
  const auto dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  const std::string frac = dot == std::string::npos ? std::string() : text.substr(dot + 1);
  auto digits = [](const std::string& d) { return d.find_first_not_of("0123456789") == std::string::npos; };
  if ((whole.empty() && frac.empty()) || !digits(whole) || !digits(frac)) {
    bad(var, "\"" + text + "\" is not a number of seconds");
  }
  const long long secs = whole.empty() ? 0 : parse_int(var, whole, 0, kMaxSeconds);
  runtime::Nanos ns = 0;
  runtime::Nanos scale = runtime::kSecond / 10;
  for (std::size_t i = 0; i < frac.size() && scale > 0; ++i, scale /= 10) ns += (frac[i] - '0') * scale;
  return secs * runtime::kSecond + ns;
}

// A real number as JavaScript's Number() reads the suite's fractions ("0.1", "1e-1").
double parse_real(const std::string& var, const std::string& text, double min, double max) {
  double v = 0;
  const char* b = text.data();
  const char* e = b + text.size();
  auto [p, ec] = std::from_chars(b, e, v);
  if (text.empty() || ec != std::errc() || p != e || !std::isfinite(v)) bad(var, "\"" + text + "\" is not a number");
  if (v < min || v > max) {
    bad(var, "\"" + text + "\" is out of range (" + std::to_string(min) + ".." + std::to_string(max) + ")");
  }
  return v;
}

bool equals_ignoring_case(const std::string& a, const std::string& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

}  // namespace

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Settings load_settings(const EnvLookup& env) {
  Settings s;
  auto get = [&](const char* name) -> std::optional<std::string> {
    auto v = env(name);
    if (v && v->empty()) return std::nullopt;  // k6 reads an empty variable as unset
    return v;
  };

  if (auto v = get("INFER_HTTP_ENDPOINT")) s.infer_http_endpoint = *v;
  if (auto v = get("INFER_GRPC_ENDPOINT")) s.infer_grpc_endpoint = *v;

  if (auto v = get("MODEL_TYPE")) s.model_type = split_commas(*v);
  const std::size_t types = s.model_type.size();
  for (const auto& t : s.model_type)
    if (t.empty()) bad("MODEL_TYPE", "empty entry in \"" + *get("MODEL_TYPE") + "\"");

  // The per-type arrays may be longer than MODEL_TYPE (the suite ignores the extra entries) but
  // not shorter: a type without a value would silently get none.
  auto per_type = [&](const char* var) -> std::optional<std::vector<std::string>> {
    auto v = get(var);
    if (!v) return std::nullopt;
    auto items = split_commas(*v);
    if (items.size() < types) {
      std::string model_types;
      for (const auto& t : s.model_type) model_types += (model_types.empty() ? "" : ",") + t;
      bad(var, "has " + std::to_string(items.size()) + " value(s) but MODEL_TYPE has " + std::to_string(types) + " (\"" +
                   *v + "\" for \"" + model_types + "\")");
    }
    items.resize(types);
    return items;
  };

  if (auto items = per_type("MODELNAME_PREFIX")) s.modelname_prefix = *items;
  else s.modelname_prefix = s.model_type;

  if (auto items = per_type("MAX_NUM_MODELS")) {
    for (const auto& i : *items) s.max_num_models.push_back(parse_int("MAX_NUM_MODELS", i, 0, 100'000'000));
  } else {
    s.max_num_models.assign(types, 1);
  }
  bool any = false;
  for (long long n : s.max_num_models) any = any || n > 0;
  if (!any) bad("MAX_NUM_MODELS", "every model type has 0 models: there is nothing to send requests to");

  if (auto items = per_type("INFER_BATCH_SIZE")) {
    for (const auto& i : *items) s.infer_batch_size.push_back(static_cast<int>(parse_int("INFER_BATCH_SIZE", i, 1, 1'000'000)));
  } else {
    s.infer_batch_size.assign(types, 1);
  }

  // Loading 0 replicas would leave a model that never becomes ready, and the suite's setup waits
  // for readiness without a timeout of its own.
  if (auto items = per_type("MODEL_NUM_REPLICAS")) {
    for (const auto& i : *items) s.model_num_replicas.push_back(static_cast<int>(parse_int("MODEL_NUM_REPLICAS", i, 1, 1'000'000)));
  } else {
    s.model_num_replicas.assign(types, 1);
  }
  // 0 is allowed: the base Job's example gives one type no replica changes with it.
  if (auto items = per_type("MAX_MODEL_REPLICAS")) {
    for (const auto& i : *items) s.max_model_replicas.push_back(static_cast<int>(parse_int("MAX_MODEL_REPLICAS", i, 0, 1'000'000)));
  } else {
    s.max_model_replicas.assign(types, 1);
  }
  if (auto items = per_type("MAX_NUM_MODELS_HEADROOM")) {
    for (const auto& i : *items) s.max_num_models_headroom.push_back(parse_int("MAX_NUM_MODELS_HEADROOM", i, 0, 100'000'000));
  } else {
    s.max_num_models_headroom.assign(types, 0);
  }
  // The suite passes 0, not the catalogue's 20000, when MODEL_MEMORY_BYTES is unset.
  if (auto items = per_type("MODEL_MEMORY_BYTES")) {
    s.model_memory = *items;
    for (const auto& i : *items) {
      try {
        s.model_memory_bytes.push_back(parse_quantity(i));
      } catch (const std::invalid_argument& e) {
        bad("MODEL_MEMORY_BYTES", e.what());
      }
    }
  } else {
    s.model_memory.assign(types, "0");
    s.model_memory_bytes.assign(types, 0);
  }

  if (auto v = get("INFER_HTTP_ITERATIONS")) s.infer_http_iterations = static_cast<int>(parse_int("INFER_HTTP_ITERATIONS", *v, 0, 1'000'000));
  if (auto v = get("INFER_GRPC_ITERATIONS")) s.infer_grpc_iterations = static_cast<int>(parse_int("INFER_GRPC_ITERATIONS", *v, 0, 1'000'000));
  if (auto v = get("INFER_KAFKA_ITERATIONS")) {
    s.infer_kafka_iterations = static_cast<int>(parse_int("INFER_KAFKA_ITERATIONS", *v, 0, 1'000'000));
  }

  auto exactly_true = [&](const char* var, bool dflt) {
    auto v = get(var);
    return v ? *v == "true" : dflt;
  };
  auto true_in_any_case = [&](const char* var) {
    auto v = get(var);
    return v && equals_ignoring_case(*v, "true");
  };
  auto present = [&](const char* var) { return get(var).has_value(); };
  auto string_or = [&](const char* var, std::string dflt) { return get(var).value_or(std::move(dflt)); };

  s.envoy = exactly_true("ENVOY", true);
  s.scheduler_proxy = exactly_true("SCHEDULER_PROXY", false);
  s.via_pipeline = exactly_true("VIA_PIPELINE", false);
  s.debug = exactly_true("K6_DEBUG", false);

  s.skip_setup = true_in_any_case("SKIP_SETUP");
  s.skip_load_model = present("SKIP_LOAD_MODEL");
  s.skip_load_experiment = present("SKIP_LOAD_EXPERIMENT");
  s.skip_infer = present("SKIP_INFER");
  s.skip_unload_model = present("SKIP_UNLOAD_MODEL");
  s.skip_unload_experiment = present("SKIP_UNLOAD_EXPERIMENT");
  s.warmup = exactly_true("WARMUP", true);

  s.scheduler_endpoint = string_or("SCHEDULER_ENDPOINT", s.scheduler_endpoint);
  s.use_kube_control_plane = exactly_true("USE_KUBE_CONTROL_PLANE", false);
  s.kube_namespace = string_or("NAMESPACE", s.kube_namespace);
  s.experiment_name_prefix = string_or("EXPERIMENTNAME_PREFIX", s.experiment_name_prefix);
  s.enable_model_replica_change = exactly_true("ENABLE_MODEL_REPLICA_CHANGE", false);
  if (auto v = get("SLEEP_BETWEEN_REPLICA_CHANGE")) s.sleep_between_replica_change = parse_seconds("SLEEP_BETWEEN_REPLICA_CHANGE", *v);

  // Above 1 an update that shrinks a model could ask for negative memory.
  if (auto v = get("MAX_MEM_UPDATE_FRACTION")) s.max_mem_update_fraction = parse_real("MAX_MEM_UPDATE_FRACTION", *v, 0, 1);
  if (auto v = get("MODEL_CREATE_UPDATE_DELETE_BIAS")) {
    const auto items = split_commas(*v);
    if (items.size() < 3) {
      bad("MODEL_CREATE_UPDATE_DELETE_BIAS", "\"" + *v + "\" has " + std::to_string(items.size()) +
                                                 " value(s) but needs 3 (create, update and delete weights)");
    }
    for (std::size_t k = 0; k < 3; ++k) {
      s.create_update_delete_bias[k] = static_cast<int>(parse_int("MODEL_CREATE_UPDATE_DELETE_BIAS", items[k], 0, 1'000'000));
    }
  }
  if (auto v = get("MAX_CREATE_OPS_PER_VU")) s.max_create_ops_per_vu = parse_int("MAX_CREATE_OPS_PER_VU", *v, 1, 1'000'000'000);
  if (auto v = get("K8S_DELAY_SECONDS_PER_VU")) s.k8s_delay_per_vu = parse_seconds("K8S_DELAY_SECONDS_PER_VU", *v);
  if (auto v = get("CHECK_STATE_EVERY_SECONDS")) s.check_state_every = parse_seconds("CHECK_STATE_EVERY_SECONDS", *v);
  if (auto v = get("MAX_CHECK_TIME_SECONDS")) s.max_check_time = parse_seconds("MAX_CHECK_TIME_SECONDS", *v);
  s.stop_on_check_failure = exactly_true("STOP_ON_CHECK_FAILURE", true);
  s.enable_state_check = exactly_true("ENABLE_STATE_CHECK", true);

  // Components may be scaled to 0; a model may not (see MODEL_NUM_REPLICAS).
  auto replicas = [&](const char* var, int& field, long long min) {
    if (auto v = get(var)) field = static_cast<int>(parse_int(var, *v, min, 1'000'000));
  };
  replicas("MODEL_REPLICAS", s.pipeline_model_replicas, 1);
  replicas("INFERENCE_SERVER_REPLICAS", s.inference_server_replicas, 0);
  replicas("INFERENCE_SERVER_MIN_REPLICAS", s.inference_server_min_replicas, 0);
  replicas("INFERENCE_SERVER_MAX_REPLICAS", s.inference_server_max_replicas, 0);
  replicas("DATAFLOW_ENGINE_REPLICAS", s.dataflow_engine_replicas, 0);
  replicas("PIPLINE_GW_REPLICAS", s.pipeline_gw_replicas, 0);
  replicas("MODEL_GW_REPLICAS", s.model_gw_replicas, 0);
  s.dataflow_engine_limit_memory = string_or("DATAFLOW_ENGINE_LIMIT_MEMORY", s.dataflow_engine_limit_memory);
  s.model_gw_num_workers = string_or("MODEL_GW_NUM_WORKERS", s.model_gw_num_workers);
  s.use_grpc = true_in_any_case("USE_GRPC");
  s.seldon_config_name = string_or("SELDON_CONFIG_NAME", s.seldon_config_name);
  s.seldon_runtime_name = string_or("SELDON_RUNTIME_NAME", s.seldon_runtime_name);
  s.request_id_prefix = get("REQUEST_ID_PREFIX");
  s.test_metadata = string_or("TEST_METADATA", "");

  if (auto v = get("REQUEST_RATE")) s.request_rate = parse_int("REQUEST_RATE", *v, 0, 1'000'000'000);
  s.request_rates = {s.request_rate};
  if (auto v = get("REQUEST_RATES")) {
    s.request_rates.clear();
    for (const auto& i : split_commas(*v)) s.request_rates.push_back(parse_int("REQUEST_RATES", i, 0, 1'000'000'000));
    s.request_rates_set = true;
  }
  if (auto v = get("CONSTANT_RATE_DURATION_SECONDS")) {
    s.constant_rate_duration = parse_seconds("CONSTANT_RATE_DURATION_SECONDS", *v);
  }
  if (auto v = get("CONSTANT_RATE_DURATIONS_SECONDS")) {
    std::vector<std::int64_t> d;
    for (const auto& i : split_commas(*v)) d.push_back(parse_int("CONSTANT_RATE_DURATIONS_SECONDS", i, 0, 100LL * 365 * 24 * 3600));
    s.constant_rate_durations_seconds = std::move(d);
  }
  if (auto v = get("INFER_TYPE")) s.infer_type = *v;
  if (auto v = get("MODEL_START_IDX")) s.model_start_idx = parse_int("MODEL_START_IDX", *v, 0, 100'000'000 - 1);
  if (auto v = get("MODEL_END_IDX")) s.model_end_idx = parse_int("MODEL_END_IDX", *v, 0, 100'000'000 - 1);
  if (auto v = get("MODEL_NAME")) s.model_name = *v;
  return s;
}

}  // namespace inferload::scv2
