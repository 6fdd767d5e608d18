#include "inferload/http1/request_template.hpp"

#include <stdexcept>

namespace inferload::http1 {
namespace {

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool has_line_break(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

RequestTemplate make_request(std::string_view method, std::string_view target, const std::vector<Header>& headers,
                             std::shared_ptr<const std::string> body) {
  if (method.empty()) throw std::invalid_argument("empty HTTP method");
  for (char c : method)
    if (!is_token_char(c)) throw std::invalid_argument("bad HTTP method \"" + std::string(method) + "\"");
  if (target.empty() || target.front() != '/' || target.find_first_of(" \r\n\t") != std::string_view::npos ||
      target.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("bad request target \"" + std::string(target) + "\"");
  }
  RequestTemplate t;
  t.head.reserve(256);
  t.head.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  for (const Header& h : headers) {
    if (h.name.empty()) throw std::invalid_argument("empty header name");
    for (char c : h.name)
      if (!is_token_char(c)) throw std::invalid_argument("bad header name \"" + h.name + "\"");
    if (has_line_break(h.value)) throw std::invalid_argument("header \"" + h.name + "\" has a line break in its value");
    if (iequals(h.name, "content-length")) throw std::invalid_argument("Content-Length is computed, not given");
    t.head.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  const bool wants_length = body || iequals(method, "POST") || iequals(method, "PUT") || iequals(method, "PATCH");
  if (wants_length) t.head.append("Content-Length: ").append(std::to_string(body ? body->size() : 0)).append("\r\n");
  t.head.append("\r\n");
  if (!body || body->size() <= RequestTemplate::kMaxWireBody) t.wire = t.head + (body ? *body : std::string());
  t.body = std::move(body);
  return t;
}

}  // namespace inferload::http1
