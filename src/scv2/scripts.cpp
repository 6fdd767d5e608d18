#include "inferload/scv2/scripts.hpp"

#include <stdexcept>

namespace inferload::scv2 {
namespace {

const std::vector<Script>& scripts() {
  static const std::vector<Script> all = {
      {
          "infer_constant_vu",
          30 * 60 * runtime::kSecond,
          {
              {"http_req_duration{scenario:default}", {"max>=0"}},
              {"http_reqs{scenario:default}", {}},
              {"grpc_req_duration{scenario:default}", {"max>=0"}},
              {"data_received{scenario:default}", {}},
              {"data_sent{scenario:default}", {}},
          },
          "model http prediction success",
      },
  };
  return all;
}

}  // namespace

const Script& find_script(std::string_view name_or_path) {
  std::string_view name = name_or_path;
  if (const auto slash = name.rfind('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  if (name.size() > 3 && name.substr(name.size() - 3) == ".js") name.remove_suffix(3);
  for (const Script& s : scripts()) {
    if (s.name == name) return s;
  }
  std::string known;
  for (const Script& s : scripts()) known += (known.empty() ? "" : ", ") + s.name;
  throw std::invalid_argument("unknown scenario \"" + std::string(name_or_path) + "\" (built-in scenarios: " + known + ")");
}

}  // namespace inferload::scv2
