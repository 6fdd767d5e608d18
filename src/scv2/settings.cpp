#include "inferload/scv2/settings.hpp"

#include <charconv>
#include <cstdlib>
#include <stdexcept>

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
      bad(var, "has " + std::to_string(items.size()) + " value(s) but MODEL_TYPE has " + std::to_string(types));
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

  if (auto v = get("INFER_HTTP_ITERATIONS")) s.infer_http_iterations = static_cast<int>(parse_int("INFER_HTTP_ITERATIONS", *v, 0, 1'000'000));
  if (auto v = get("INFER_GRPC_ITERATIONS")) s.infer_grpc_iterations = static_cast<int>(parse_int("INFER_GRPC_ITERATIONS", *v, 0, 1'000'000));

  auto exactly_true = [&](const char* var, bool dflt) {
    auto v = get(var);
    return v ? *v == "true" : dflt;
  };
  s.envoy = exactly_true("ENVOY", true);
  s.scheduler_proxy = exactly_true("SCHEDULER_PROXY", false);
  s.via_pipeline = exactly_true("VIA_PIPELINE", false);
  s.debug = exactly_true("K6_DEBUG", false);

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
