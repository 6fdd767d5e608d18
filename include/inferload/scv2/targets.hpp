#pragma once
// Every model a run may send requests to, with its REST request pre-encoded, and the choice of
// one per iteration exactly as the suite's infer scenarios make it: a model type uniformly among
// the types with MAX_NUM_MODELS > 0, then a model id uniformly in [0, MAX_NUM_MODELS).
#include <cstdint>
#include <string>
#include <vector>

#include "inferload/http1/request_template.hpp"
#include "inferload/net/endpoint.hpp"
#include "inferload/scv2/settings.hpp"

namespace inferload::scv2 {

struct ModelTarget {
  std::string name;        // the name in the URL, Host and seldon-model (versioned off envoy)
  http1::RequestTemplate rest;
};

struct ModelTypeTargets {
  std::string type;
  std::vector<ModelTarget> models;
};

// xoshiro-style generator: a few cycles per draw, one per VU, no shared state.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) noexcept;
  std::uint64_t next() noexcept;
  // Uniform in [0, n) without modulo bias worth measuring (Lemire's multiply-shift).
  std::uint64_t below(std::uint64_t n) noexcept {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

 private:
  std::uint64_t s_[4];
};

class TargetTable {
 public:
  // Builds every request of the run. Throws std::invalid_argument naming the variable at fault.
  TargetTable(const Settings& settings, const net::HttpUrl& url);

  const ModelTarget& pick(Rng& rng) const noexcept {
    const ModelTypeTargets& t = types_[rng.below(types_.size())];
    return t.models[rng.below(t.models.size())];
  }
  const std::vector<ModelTypeTargets>& types() const noexcept { return types_; }
  std::size_t model_count() const noexcept;

 private:
  std::vector<ModelTypeTargets> types_;  // only types with at least one model
};

// The name a model is addressed by (suite section 3.3): plain through envoy, else versioned
// with "_1" (or "_0" through the scheduler proxy).
std::string target_name(const Settings& settings, const std::string& model);

}  // namespace inferload::scv2
