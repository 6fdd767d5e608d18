#pragma once
// Turns what the engine measured into k6's metrics, submetrics, checks and thresholds.
#include "inferload/load/engine.hpp"
#include "inferload/output/run_report.hpp"
#include "inferload/scenario/protocol_metrics.hpp"
#include "inferload/scv2/scripts.hpp"

namespace inferload::output {

// Threshold expressions are evaluated here; an expression that does not parse throws
// std::invalid_argument (scripts are checked before a run, see check_script_thresholds).
RunReport build_report(const load::RunResult& result, const scenario::ProtocolShard& protocols,
                       const load::ScenarioConfig& scenario, const scv2::Script& script, RunInfo info);

// Throws std::invalid_argument if a threshold of the script cannot be parsed for its metric.
void check_script_thresholds(const scv2::Script& script);

}  // namespace inferload::output
