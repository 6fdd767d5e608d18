#include "inferload/kafka/topics.hpp"

#include <charconv>
#include <stdexcept>

namespace inferload::kafka {

bool valid_topic_prefix(std::string_view prefix) noexcept {
  if (prefix.empty()) return false;
  for (const char c : prefix) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

TopicNames::TopicNames(std::string_view prefix, std::string_view ns) {
  if (!valid_topic_prefix(prefix)) {
    throw std::invalid_argument("Kafka topic prefix \"" + std::string(prefix) +
                                "\": only letters, digits, '.', '_' and '-' are allowed");
  }
  prefix_.assign(prefix);
  ns_.assign(ns.empty() ? kDefaultNamespace : ns);
}

std::string TopicNames::join(std::string_view kind, std::string_view name, std::string_view suffix) const {
  std::string t;
  t.reserve(prefix_.size() + ns_.size() + kind.size() + name.size() + suffix.size() + 4);
  t.append(prefix_).append(1, '.').append(ns_).append(1, '.').append(kind).append(1, '.').append(name);
  if (!suffix.empty()) t.append(1, '.').append(suffix);
  return t;
}

std::string TopicNames::model_inputs(std::string_view model) const { return join("model", model, "inputs"); }
std::string TopicNames::model_outputs(std::string_view model) const { return join("model", model, "outputs"); }
std::string TopicNames::pipeline_inputs(std::string_view p) const { return join("pipeline", p, "inputs"); }
std::string TopicNames::pipeline_outputs(std::string_view p) const { return join("pipeline", p, "outputs"); }
std::string TopicNames::errors() const { return join("errors", "errors", ""); }

namespace {

constexpr char kHex[] = "0123456789abcdef";

void put_hex(std::uint64_t v, char* out) noexcept {
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[v & 0xF];
    v >>= 4;
  }
}

std::optional<std::uint64_t> get_hex(std::string_view s) noexcept {
  std::uint64_t v = 0;
  for (const char c : s) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return v;
}

}  // namespace

void format_request_id(std::uint64_t nonce, std::uint64_t id, char (&out)[kRequestIdChars]) noexcept {
  put_hex(nonce, out);
  put_hex(id, out + 16);
}

std::optional<RequestId> parse_key_request_id(std::string_view key) noexcept {
  const std::size_t dot = key.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view text = key.substr(dot + 1);
  if (text.size() != kRequestIdChars) return std::nullopt;
  const auto nonce = get_hex(text.substr(0, 16));
  const auto id = get_hex(text.substr(16));
  if (!nonce || !id) return std::nullopt;
  return RequestId{*nonce, *id};
}

std::string_view KeyWriter::write(std::int32_t partition, std::string_view name, std::string_view request_id) {
  char digits[16];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), partition);
  (void)ec;  // 16 chars hold every int32
  buf_.assign(digits, static_cast<std::size_t>(end - digits));
  buf_.append(1, '.').append(name).append(1, '.').append(request_id);
  return buf_;
}

}  // namespace inferload::kafka
