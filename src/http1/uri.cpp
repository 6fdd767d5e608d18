#include "inferload/http1/uri.hpp"

#include <cstdio>

namespace inferload::http1 {
namespace {

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

bool is_sub_delim(unsigned char c) {
  switch (c) {
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',': case ';': case '=':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string percent_encode_path_segment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(segment.size());
  for (char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string host_name_problem(std::string_view name) {
  if (name.empty()) return "it is empty";
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || is_sub_delim(c)) continue;
    char what[64];
    if (c >= 0x80) std::snprintf(what, sizeof what, "the non-ASCII byte 0x%02X", c);
    else if (c < 0x20 || c == 0x7f) std::snprintf(what, sizeof what, "the control byte 0x%02X", c);
    else if (c == ' ') std::snprintf(what, sizeof what, "a space");
    else std::snprintf(what, sizeof what, "'%c'", ch);
    return std::string("a Host header cannot carry ") + what;
  }
  return {};
}

}  // namespace inferload::http1
