#include "inferload/scv2/targets.hpp"

#include <charconv>
#include <cstring>
#include <stdexcept>

#include "inferload/http1/uri.hpp"
#include "inferload/scv2/catalogue.hpp"

namespace inferload::scv2 {
namespace {

// Stand-ins for the name while the template is built: bytes that no valid name, header or path
// contains, so splitting the encoded head at them finds exactly the name's places.
constexpr char kPathSlot = '\x01';
constexpr char kHeaderSlot = '\x02';
// The request id's characters until a request is sent: overwritten every time.
constexpr char kIdFiller = '0';

std::string name_of(const ModelTypeTargets& t, std::uint32_t id) {
  return t.fixed ? t.prefix + t.suffix : t.prefix + std::to_string(t.first + id) + t.suffix;
}

}  // namespace

std::vector<http1::Header> rest_headers(const Settings& settings, const std::string& name) {
  std::vector<http1::Header> headers = {
      {"Host", name},
      {"User-Agent", std::string("inferload/") + INFERLOAD_VERSION},
      {"Content-Type", "application/json"},
      {"seldon-model", settings.via_pipeline ? name + ".pipeline" : name},
      {"Accept-Encoding", "entity"},
  };
  if (!settings.envoy) headers.push_back({"seldon-internal-model", name});
  return headers;
}

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

TargetTable::TargetTable(const Settings& settings, const net::HttpUrl& url, const ModelChoice& choice) {
  for (std::size_t j = 0; j < settings.model_type.size(); ++j) {
    const std::string& type = settings.model_type[j];
    // Every type is checked, even one with no models, so a typo never hides behind a zero.
    auto body = std::make_shared<const std::string>(rest_payload(type, settings.infer_batch_size[j]));
    long long count = settings.max_num_models[j];
    if (choice.type0_only) {
      if (j > 0) continue;
      count = choice.fixed_name.empty() ? static_cast<long long>(choice.last) - choice.first + 1 : 1;
      if (count <= 0) throw std::invalid_argument("MODEL_START_IDX: the model range is empty");
    }
    if (count == 0) continue;
    if (count > kMaxModelsPerType) {
      throw std::invalid_argument("MAX_NUM_MODELS: " + std::to_string(count) + " models of type " + type +
                                  " is more than the maximum of " + std::to_string(kMaxModelsPerType));
    }
    ModelTypeTargets t;
    t.type = type;
    t.models = static_cast<std::uint32_t>(count);
    t.batch = settings.infer_batch_size[j];
    t.prefix = settings.modelname_prefix[j];
    const char* variable = "MODELNAME_PREFIX";
    if (choice.type0_only && !choice.fixed_name.empty()) {
      t.prefix = choice.fixed_name;
      t.fixed = true;
      variable = "MODEL_NAME";
    } else if (choice.type0_only) {
      t.first = choice.first;
    }
    t.path_prefix = http1::percent_encode_path_segment(t.prefix);
    t.suffix = choice.name_suffix ? *choice.name_suffix : target_name(settings, "");
    t.body = body;

    // The prefix decides whether every name of the type is valid: the rest is digits and "_N".
    const std::string first = name_of(t, 0);
    if (const std::string why = http1::host_name_problem(first); !why.empty()) {
      throw std::invalid_argument(std::string(variable) + ": model name \"" + first + "\" cannot be sent: " + why);
    }
    http1::RequestTemplate slotted;
    try {
      const std::string header_slot(1, kHeaderSlot);
      std::vector<http1::Header> headers = rest_headers(settings, header_slot);
      // Last before Content-Length, so its value ends at a fixed distance from the head's end.
      if (settings.request_id_prefix) {
        t.request_id = true;
        headers.push_back({"x-request-id", *settings.request_id_prefix + "_" + std::string(kRequestIdChars, kIdFiller)});
      }
      slotted = http1::make_request("POST", url.base_path + "/v2/models/" + kPathSlot + "/infer", headers, body);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string(variable) + ": model name \"" + first + "\" cannot be sent: " + e.what());
    }
    std::string piece;
    for (char c : slotted.head) {
      if (c == kPathSlot || c == kHeaderSlot) {
        t.pieces.push_back(std::move(piece));
        piece.clear();
        t.slot_in_path.push_back(c == kPathSlot);
      } else {
        piece.push_back(c);
      }
    }
    t.pieces.push_back(std::move(piece));

    if (t.models <= kPreEncodedModels && !t.request_id) {
      t.encoded.resize(t.models);
      for (std::uint32_t i = 0; i < t.models; ++i) encode(t, i, t.encoded[i]);
    }
    types_.push_back(std::move(t));
  }
}

void TargetTable::encode(const ModelTypeTargets& t, std::uint32_t id, http1::RequestTemplate& out) {
  char digits[10];
  const std::size_t n =
      t.fixed ? 0 : static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, t.first + id).ptr - digits);
  out.head.clear();
  for (std::size_t i = 0; i < t.pieces.size(); ++i) {
    out.head.append(t.pieces[i]);
    if (i == t.slot_in_path.size()) break;
    out.head.append(t.slot_in_path[i] ? t.path_prefix : t.prefix).append(digits, n).append(t.suffix);
  }
  if (out.body != t.body) out.body = t.body;
  out.wire.clear();
  if (t.body->size() <= http1::RequestTemplate::kMaxWireBody) out.wire.append(out.head).append(*t.body);
  if (t.request_id) {
    // The id is the last header's value: "\r\nContent-Length: N\r\n\r\n" follows it.
    char length[20];
    const auto length_digits =
        static_cast<std::size_t>(std::to_chars(length, length + sizeof length, t.body->size()).ptr - length);
    constexpr std::size_t kAroundLength = sizeof("\r\nContent-Length: \r\n\r\n") - 1;
    out.fresh_value_at = out.head.size() - kAroundLength - length_digits - kRequestIdChars;
  }
}

void TargetTable::stamp_request_id(http1::RequestTemplate& r, Rng& rng) noexcept {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  char id[kRequestIdChars];
  for (char& c : id) c = kAlphabet[rng.below(sizeof kAlphabet - 1)];
  std::memcpy(r.head.data() + r.fresh_value_at, id, kRequestIdChars);
  if (!r.wire.empty()) std::memcpy(r.wire.data() + r.fresh_value_at, id, kRequestIdChars);
}

std::string TargetTable::name(ModelPick m) const { return name_of(types_[m.type], m.id); }

std::uint64_t TargetTable::model_count() const noexcept {
  std::uint64_t n = 0;
  for (const auto& t : types_) n += t.models;
  return n;
}

RestRequestBuffer::RestRequestBuffer(const TargetTable& table)
    : per_type_(table.types().size()), encoded_id_(table.types().size(), UINT32_MAX) {}

}  // namespace inferload::scv2
