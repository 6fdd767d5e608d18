#pragma once
// Every model a run may send requests to, and the choice of one per iteration exactly as the
// suite's infer scenarios make it: a model type uniformly among the types with
// MAX_NUM_MODELS > 0, then a model id uniformly in [0, MAX_NUM_MODELS).
//
// The models of one type differ only in their name, so each type keeps one request template with
// slots for the name. A type with few models has every request encoded before the run; a type
// with many (up to kMaxModelsPerType) costs nothing per model: its requests are encoded when
// picked, into a buffer of the VU's, re-using it while the same model is picked again.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "inferload/http1/request_template.hpp"
#include "inferload/net/endpoint.hpp"
#include "inferload/scv2/settings.hpp"

namespace inferload::scv2 {

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

struct ModelPick {
  std::uint32_t type = 0;  // index into TargetTable::types()
  std::uint32_t id = 0;    // the model's number within its type
  bool operator==(const ModelPick&) const = default;
};

// The models a table serves. By default every type with MAX_NUM_MODELS > 0 and every model of
// it; model_constant_rate targets type 0 alone: models first..last (which need not be below
// MAX_NUM_MODELS: the script loads nothing and addresses models that exist already), or one fixed
// name.
struct ModelChoice {
  bool type0_only = false;
  std::uint32_t first = 0;  // type0_only: the range's ends, both inclusive
  std::uint32_t last = 0;
  std::string fixed_name;   // type0_only: non-empty replaces the range by this one name
  // Ends every name in place of the version suffix that ENVOY and SCHEDULER_PROXY choose:
  // experiment.js sends to its models as <prefix><n>_1, pipeline.js to its pipelines by their
  // plain names whatever ENVOY says.
  std::optional<std::string> name_suffix;
};

struct ModelTypeTargets {
  std::string type;
  std::uint32_t models = 0;
  std::uint32_t first = 0;  // the number in the name of the type's model 0
  bool fixed = false;       // the prefix is the whole name: no number
  int batch = 1;  // INFER_BATCH_SIZE of the type
  std::string prefix;       // MODELNAME_PREFIX as it goes into headers
  std::string path_prefix;  // the same, percent-encoded for the request target
  std::string suffix;       // "", "_1" or "_0" (suite section 3.3)
  // The request head split at the places a name goes: pieces[i], name, pieces[i + 1], ...
  std::vector<std::string> pieces;
  std::vector<bool> slot_in_path;  // per slot: the path's (encoded) form of the name
  std::shared_ptr<const std::string> body;
  std::vector<http1::RequestTemplate> encoded;  // every model's request, when there are few
  // REQUEST_ID_PREFIX: every request carries its own x-request-id, so none is encoded before the
  // run; a VU's buffer holds its request and only the id's characters change per request.
  bool request_id = false;
};

class TargetTable;

// A VU's storage for requests encoded when picked: one template per type, so each keeps its
// type's body and its capacity, and nothing is allocated once every type has been sent once.
class RestRequestBuffer {
 public:
  explicit RestRequestBuffer(const TargetTable& table);

 private:
  friend class TargetTable;
  std::vector<http1::RequestTemplate> per_type_;
  std::vector<std::uint32_t> encoded_id_;  // the model each template holds; UINT32_MAX: none
};

class TargetTable {
 public:
  // Types with more models than this are encoded when picked; below, before the run.
  static constexpr std::uint32_t kPreEncodedModels = 4096;
  // MAX_NUM_MODELS's upper bound (settings.cpp), which model ids must fit.
  static constexpr long long kMaxModelsPerType = 100'000'000;

  // Checks and prepares every request of the run. Throws std::invalid_argument naming the
  // variable at fault.
  TargetTable(const Settings& settings, const net::HttpUrl& url, const ModelChoice& choice = {});

  ModelPick pick(Rng& rng) const noexcept {
    const auto type = static_cast<std::uint32_t>(rng.below(types_.size()));
    return {type, static_cast<std::uint32_t>(rng.below(types_[type].models))};
  }
  // The REST request for `m`: the table's own, or encoded into `buffer` (valid until the next
  // call with the same buffer for another model of the same type).
  const http1::RequestTemplate& rest(ModelPick m, RestRequestBuffer& buffer) const {
    const ModelTypeTargets& t = types_[m.type];
    if (!t.encoded.empty()) return t.encoded[m.id];
    http1::RequestTemplate& out = buffer.per_type_[m.type];
    if (buffer.encoded_id_[m.type] != m.id) {
      encode(t, m.id, out);
      buffer.encoded_id_[m.type] = m.id;
    }
    return out;
  }
  // The same, with a fresh x-request-id when REQUEST_ID_PREFIX is set (suite section 3.1):
  // "<prefix>_" and 15 random characters of [A-Za-z0-9], written into the VU's buffer, so that
  // nothing is allocated per request.
  const http1::RequestTemplate& rest(ModelPick m, RestRequestBuffer& buffer, Rng& rng) const {
    const http1::RequestTemplate& r = rest(m, buffer);
    if (types_[m.type].request_id) stamp_request_id(buffer.per_type_[m.type], rng);
    return r;
  }
  static constexpr std::size_t kRequestIdChars = 15;
  // The name in the URL, Host and seldon-model (versioned off envoy). ModelPick::id counts from
  // the type's first model.
  std::string name(ModelPick m) const;

  const std::vector<ModelTypeTargets>& types() const noexcept { return types_; }
  std::uint64_t model_count() const noexcept;

 private:
  static void encode(const ModelTypeTargets& t, std::uint32_t id, http1::RequestTemplate& out);
  static void stamp_request_id(http1::RequestTemplate& r, Rng& rng) noexcept;
  std::vector<ModelTypeTargets> types_;  // only types with at least one model
};

// The headers of a REST request to the model addressed as `name` (suite section 3.1): Host,
// seldon-model (NAME.pipeline via a pipeline), Content-Type, Accept-Encoding, and off envoy
// seldon-internal-model.
std::vector<http1::Header> rest_headers(const Settings& settings, const std::string& name);

// The name a model is addressed by (suite section 3.3): plain through envoy, else versioned
// with "_1" (or "_0" through the scheduler proxy).
std::string target_name(const Settings& settings, const std::string& model);

}  // namespace inferload::scv2
