#include "inferload/app/tls_options.hpp"

#include <stdexcept>
#include <string_view>

namespace inferload::app {
namespace {

[[noreturn]] void fail(const std::string& source, const std::string& msg) {
  throw ExitError(kExitOtherError, source + ": " + msg);
}

tls::Version version_of(const std::string& source, std::string_view name) {
  try {
    return tls::parse_version(name);
  } catch (const std::invalid_argument& e) {
    fail(source, e.what());
  }
}

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

bool truthy(const std::string& source, const std::string& value) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0" || value.empty()) return false;
  fail(source, "\"" + value + "\" is not true or false");
}

}  // namespace

tls::ClientOptions tls_client_options(const RunArgs& a, const scv2::EnvLookup& env, const OptionsFile* file) {
  tls::ClientOptions o;
  if (a.insecure_skip_tls_verify) {
    o.verify = false;
  } else if (auto v = env("K6_INSECURE_SKIP_TLS_VERIFY"); v && !v->empty()) {
    o.verify = !truthy("K6_INSECURE_SKIP_TLS_VERIFY", *v);
  } else if (file && file->insecure_skip_tls_verify) {
    o.verify = !*file->insecure_skip_tls_verify;
  }
  if (a.tls_ca) o.ca_file = *a.tls_ca;
  if (a.tls_cert) o.cert_file = *a.tls_cert;
  if (a.tls_key) o.key_file = *a.tls_key;
  if (o.cert_file.empty() != o.key_file.empty()) {
    fail(a.tls_cert ? "--tls-cert" : "--tls-key", "a client certificate needs both --tls-cert and --tls-key");
  }
  // --tls-version V (exactly V, as k6's tlsVersion string) or MIN:MAX (either side may be empty).
  if (a.tls_version) {
    const std::string& text = *a.tls_version;
    const std::size_t colon = text.find(':');
    if (colon == std::string::npos) {
      o.min_version = o.max_version = version_of("--tls-version", text);
    } else {
      const std::string_view min = std::string_view(text).substr(0, colon);
      const std::string_view max = std::string_view(text).substr(colon + 1);
      if (!min.empty()) o.min_version = version_of("--tls-version", min);
      if (!max.empty()) o.max_version = version_of("--tls-version", max);
    }
  } else if (file && (file->tls_version_min || file->tls_version_max)) {
    if (file->tls_version_min) o.min_version = version_of("--config: tlsVersion", *file->tls_version_min);
    if (file->tls_version_max) o.max_version = version_of("--config: tlsVersion", *file->tls_version_max);
  }
  if (o.max_version != tls::Version::any && static_cast<int>(o.min_version) > static_cast<int>(o.max_version)) {
    fail(a.tls_version ? "--tls-version" : "--config: tlsVersion",
         (a.tls_version ? "\"" + *a.tls_version + "\": " : std::string()) + "the minimum version is above the maximum");
  }
  if (a.tls_cipher_suites) {
    o.cipher_suites = split_commas(*a.tls_cipher_suites);
    if (o.cipher_suites.empty()) fail("--tls-cipher-suites", "names no cipher suite");
  } else if (file && file->tls_cipher_suites) {
    o.cipher_suites = *file->tls_cipher_suites;
    o.cipher_suites_source = "--config: tlsCipherSuites";
  }
  o.resumption = !a.no_tls_resumption;
  return o;
}

tls::Peer make_tls_peer(const tls::ClientOptions& options, const std::string& alpn, const RunArgs& a,
                        const std::string& host) {
  tls::Peer peer;
  try {
    peer.context = std::make_shared<const tls::Context>(options, alpn);
  } catch (const std::invalid_argument& e) {
    throw ExitError(kExitInvalidConfig, e.what());
  }
  peer.server_name = a.tls_server_name ? *a.tls_server_name : host;
  if (peer.server_name.empty()) throw ExitError(kExitOtherError, "--tls-server-name: must not be empty");
  return peer;
}

std::string grpc_endpoint_address(const std::string& endpoint, bool& tls) {
  for (const std::string_view scheme : {"grpcs://", "https://"}) {
    if (endpoint.compare(0, scheme.size(), scheme) == 0) {
      tls = true;
      return endpoint.substr(scheme.size());
    }
  }
  return endpoint;
}

}  // namespace inferload::app
