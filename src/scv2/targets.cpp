#include "inferload/scv2/targets.hpp"

#include <memory>

#include "inferload/scv2/catalogue.hpp"

namespace inferload::scv2 {

Rng::Rng(std::uint64_t seed) noexcept {
  // splitmix64 spreads any seed (even 0 or consecutive VU numbers) over the whole state.
  for (auto& s : s_) {
    seed += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    s = z ^ (z >> 31);
  }
}

std::uint64_t Rng::next() noexcept {
  // xoshiro256++
  auto rotl = [](std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::string target_name(const Settings& settings, const std::string& model) {
  if (settings.envoy) return model;
  return model + (settings.scheduler_proxy ? "_0" : "_1");
}

TargetTable::TargetTable(const Settings& settings, const net::HttpUrl& url) {
  const std::string user_agent = std::string("inferload/") + INFERLOAD_VERSION;
  for (std::size_t j = 0; j < settings.model_type.size(); ++j) {
    const std::string& type = settings.model_type[j];
    // Every type is checked, even one with no models, so a typo never hides behind a zero.
    auto body = std::make_shared<const std::string>(rest_payload(type, settings.infer_batch_size[j]));
    if (settings.max_num_models[j] == 0) continue;
    ModelTypeTargets t;
    t.type = type;
    t.models.reserve(static_cast<std::size_t>(settings.max_num_models[j]));
    for (long long i = 0; i < settings.max_num_models[j]; ++i) {
      const std::string name = target_name(settings, settings.modelname_prefix[j] + std::to_string(i));
      std::vector<http1::Header> headers = {
          {"Host", name},
          {"User-Agent", user_agent},
          {"Content-Type", "application/json"},
          {"seldon-model", settings.via_pipeline ? name + ".pipeline" : name},
          {"Accept-Encoding", "entity"},
      };
      if (!settings.envoy) headers.push_back({"seldon-internal-model", name});
      ModelTarget m;
      m.name = name;
      try {
        m.rest = http1::make_request("POST", url.base_path + "/v2/models/" + name + "/infer", headers, body);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("MODELNAME_PREFIX: model name \"" + name + "\" cannot be sent: " + e.what());
      }
      t.models.push_back(std::move(m));
    }
    types_.push_back(std::move(t));
  }
}

std::size_t TargetTable::model_count() const noexcept {
  std::size_t n = 0;
  for (const auto& t : types_) n += t.models.size();
  return n;
}

}  // namespace inferload::scv2
