#pragma once
// Where requests go: an http:// or https:// URL from INFER_HTTP_ENDPOINT, resolved once before
// the run (not per connection, so DNS never sits on the hot path).
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace inferload::net {

struct HttpUrl {
  std::string host;       // without brackets for IPv6 literals
  std::uint16_t port = 80;  // 443 for https:// without a port
  bool tls = false;         // https://
  std::string base_path;  // path prefix without a trailing '/', "" for none
  std::string authority() const;  // "host:port" ([v6]:port)
};

// Accepts http[s]://host[:port][/prefix]. Throws std::invalid_argument naming what is wrong.
HttpUrl parse_http_url(std::string_view url);

struct ResolvedEndpoint {
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  int family = AF_INET;
  std::string text;  // "ip:port", for messages
};

// Resolves host (a name or an address) once. Throws std::runtime_error on failure.
ResolvedEndpoint resolve(const std::string& host, std::uint16_t port);

}  // namespace inferload::net

namespace inferload::net {

// Opens and closes one TCP connection (blocking, bounded by `timeout_ns`), to tell an
// unreachable target apart before any load starts. Returns 0 or the errno value.
int probe_connect(const ResolvedEndpoint& ep, long long timeout_ns);

}  // namespace inferload::net
