#pragma once
// The scenario scripts of SCv2's k6 suite (tests/k6/scenarios/*.js) that inferload runs as
// built-ins, with the options each script declares (its default duration and the thresholds
// that register its {scenario:default} submetrics).
#include <string>
#include <string_view>
#include <vector>

#include "inferload/runtime/clock.hpp"

namespace inferload::scv2 {

struct ThresholdDecl {
  std::string metric;                    // e.g. "http_req_duration{scenario:default}"
  std::vector<std::string> expressions;  // may be empty: the submetric is registered only
};

struct Script {
  std::string name;               // e.g. "infer_constant_vu"
  runtime::Nanos duration = 0;    // options.duration; 0 if the script sets none
  std::vector<ThresholdDecl> thresholds;
  std::string check_name;         // the check made on every REST response
  std::string grpc_check_name = "model grpc prediction success";  // and on every gRPC one
};

// Finds a script by name or path ("infer_constant_vu", "scenarios/infer_constant_vu.js").
// Throws std::invalid_argument naming the known scripts when there is none by that name.
const Script& find_script(std::string_view name_or_path);

}  // namespace inferload::scv2
