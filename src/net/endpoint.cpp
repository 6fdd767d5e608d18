#include "inferload/net/endpoint.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace inferload::net {

std::string HttpUrl::authority() const {
  std::string out;
  if (host.find(':') != std::string::npos) out.append(1, '[').append(host).append(1, ']');
  else out = host;
  return out.append(1, ':').append(std::to_string(port));
}

HttpUrl parse_http_url(std::string_view url) {
  std::string quoted;
  quoted.append(1, '"').append(url).append(1, '"');
  HttpUrl u;
  std::string_view rest;
  if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "https://") {
    rest = url.substr(8);
    u.tls = true;
    u.port = 443;
  } else {
    throw std::invalid_argument(quoted + ": expected a URL starting with http:// or https://");
  }
  // The authority ends at the path, and also at a query or fragment (http://h:9000?x=1), so
  // that those are reported as what they are rather than as part of the port.
  const std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view path = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) throw std::invalid_argument(quoted + ": user info is not supported");

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument(quoted + ": unterminated IPv6 address");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw std::invalid_argument(quoted + ": bad text after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (u.host.empty()) throw std::invalid_argument(quoted + ": missing host");
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      throw std::invalid_argument(quoted + ": bad port \"" + std::string(port_text) + "\"");
    }
    u.port = static_cast<std::uint16_t>(port);
  }
  const std::size_t query = path.find_first_of("?#");
  if (query != std::string_view::npos) throw std::invalid_argument(quoted + ": a query or fragment is not allowed");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  u.base_path = std::string(path);
  return u;
}

ResolvedEndpoint resolve(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) throw std::runtime_error("cannot resolve \"" + host + "\": " + ::gai_strerror(rc));
  // Prefer IPv4 when a name has both, as most in-cluster services are IPv4.
  const addrinfo* pick = res;
  for (const addrinfo* a = res; a; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  }
  ResolvedEndpoint ep;
  std::memcpy(&ep.addr, pick->ai_addr, pick->ai_addrlen);
  ep.addr_len = pick->ai_addrlen;
  ep.family = pick->ai_family;
  char ip[INET6_ADDRSTRLEN] = {};
  if (ep.family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ep.addr)->sin_addr, ip, sizeof(ip));
    ep.text = std::string(ip) + ":" + service;
  } else {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ep.addr)->sin6_addr, ip, sizeof(ip));
    ep.text.append(1, '[').append(ip).append("]:").append(service);
  }
  ::freeaddrinfo(res);
  return ep;
}

}  // namespace inferload::net
