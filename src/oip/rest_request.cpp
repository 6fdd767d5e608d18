#include "inferload/oip/rest_request.hpp"

#include <type_traits>

#include "inferload/oip/json_text.hpp"


namespace inferload::oip {

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
          else if constexpr (std::is_same_v<V, double>) append_json_number(out, v);
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
