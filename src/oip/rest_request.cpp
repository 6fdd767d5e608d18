#include "inferload/oip/rest_request.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace inferload::oip {

void append_js_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  if (v == 0) {
    out += '0';
    return;
  }
  char buf[64];
  const double a = std::fabs(v);
  // JavaScript switches to exponent notation outside [1e-6, 1e21).
  const auto fmt = (a >= 1e21 || a < 1e-6) ? std::chars_format::scientific : std::chars_format::fixed;
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, fmt);
  if (ec != std::errc()) {
    out += "null";
    return;
  }
  std::string_view text(buf, static_cast<std::size_t>(end - buf));
  if (fmt == std::chars_format::scientific) {
    // C++ writes 1e+21 / 1e-08; JavaScript writes 1e+21 / 1e-8.
    const std::size_t e = text.find('e');
    out.append(text.substr(0, e + 2));
    std::string_view exp = text.substr(e + 2);
    while (exp.size() > 1 && exp.front() == '0') exp.remove_prefix(1);
    out.append(exp);
    return;
  }
  out.append(text);
}

void append_json_string(std::string& out, const std::string& s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char u[8];
          std::snprintf(u, sizeof(u), "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += u;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

namespace {

void append_data(std::string& out, const Tensor& t) {
  std::visit(
      [&](const auto& values) {
        bool first = true;
        for (const auto& v : values) {
          if (!first) out += ',';
          first = false;
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::string>) append_json_string(out, v);
          else if constexpr (std::is_same_v<V, double>) append_js_number(out, v);
          else out += std::to_string(v);
        }
      },
      t.data);
}

}  // namespace

std::string encode_rest_request(const std::vector<Tensor>& inputs, const std::string& parameters_json) {
  std::string out = "{\"inputs\":[";
  bool first = true;
  for (const Tensor& t : inputs) {
    if (!first) out += ',';
    first = false;
    out += '{';
    if (!t.name.empty()) {
      out += "\"name\":";
      append_json_string(out, t.name);
      out += ',';
    }
    out += "\"shape\":[";
    for (std::size_t i = 0; i < t.shape.size(); ++i) {
      if (i) out += ',';
      out += std::to_string(t.shape[i]);
    }
    out += "],\"datatype\":";
    append_json_string(out, t.datatype);
    out += ",\"data\":[";
    if (t.wrap_data) out += '[';
    append_data(out, t);
    if (t.wrap_data) out += ']';
    out += "]}";
  }
  out += ']';
  if (!parameters_json.empty()) out += ",\"parameters\":" + parameters_json;
  out += '}';
  return out;
}

}  // namespace inferload::oip
