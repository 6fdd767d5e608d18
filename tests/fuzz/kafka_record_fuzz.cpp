// libFuzzer target for what inferload reads from a Kafka record it did not write: the key a
// reply is matched by and the schema-registry framing of its value. librdkafka hands a record
// over whole, so there is no split to vary; what may not vary is the meaning: a key accepted
// as one of ours must be exactly the request id it names (formatted back, byte for byte), an
// unframed value must be exactly its prefix and payload, and a key or frame inferload writes
// must read back as what was written, whatever the name, partition, ids and schema id.
//
// Input: 1 byte splitting the rest into a key (its first N bytes) and a value (the others);
// the bytes also seed what is written and read back.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "inferload/kafka/framing.hpp"
#include "inferload/kafka/topics.hpp"

namespace {

namespace kafka = inferload::kafka;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "kafka_record_fuzz: %s\n", what);
  std::abort();
}

std::uint64_t load64(std::string_view s, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = v << 8 | static_cast<unsigned char>(s.empty() ? 0 : s[(at + i) % s.size()]);
  return v;
}

void check_key(std::string_view key) {
  const auto parsed = kafka::parse_key_request_id(key);
  if (!parsed) return;
  char id[kafka::kRequestIdChars];
  kafka::format_request_id(parsed->nonce, parsed->id, id);
  if (key.size() < kafka::kRequestIdChars || key.substr(key.size() - kafka::kRequestIdChars) !=
                                                  std::string_view(id, kafka::kRequestIdChars)) {
    fail("a key was accepted as another request id than the one it ends with");
  }
  if (key.size() > kafka::kRequestIdChars && key[key.size() - kafka::kRequestIdChars - 1] != '.') {
    fail("a request id was accepted without its '.' before it");
  }
}

void check_value(std::string_view value) {
  const auto u = kafka::unframe(value);
  if (!u) return;
  const auto prefix = kafka::frame_prefix(u->schema_id);
  if (value.size() != prefix.size() + u->payload.size() ||
      std::memcmp(value.data(), prefix.data(), prefix.size()) != 0 ||
      u->payload.data() != value.data() + prefix.size()) {
    fail("an unframed value is not its prefix and payload");
  }
}

void check_round_trips(std::string_view name, std::string_view seed) {
  const std::uint64_t nonce = load64(seed, 0), id = load64(seed, 8);
  const auto partition = static_cast<std::int32_t>(load64(seed, 16));
  char rid[kafka::kRequestIdChars];
  kafka::format_request_id(nonce, id, rid);
  kafka::KeyWriter writer;
  const std::string key(writer.write(partition, name, std::string_view(rid, kafka::kRequestIdChars)));
  const auto back = kafka::parse_key_request_id(key);
  if (!back || back->nonce != nonce || back->id != id) fail("a written key does not read back");
  const auto schema = static_cast<std::uint32_t>(load64(seed, 4));
  const auto prefix = kafka::frame_prefix(schema);
  const std::string framed = std::string(prefix.data(), prefix.size()).append(seed);
  const auto u = kafka::unframe(framed);
  if (!u || u->schema_id != schema || u->payload != seed) fail("a framed value does not read back");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t cut = std::min<std::size_t>(data[0], rest.size());
  const std::string_view key = rest.substr(0, cut), value = rest.substr(cut);
  check_key(key);
  check_key(value);
  check_value(value);
  check_value(key);
  check_round_trips(key, value);
  return 0;
}
