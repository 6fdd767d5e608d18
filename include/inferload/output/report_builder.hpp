#pragma once
// Turns what the engine measured into k6's metrics, submetrics, checks and thresholds.
#include <vector>

#include "inferload/load/engine.hpp"
#include "inferload/output/run_report.hpp"
#include "inferload/scenario/protocol_metrics.hpp"
#include "inferload/scv2/scripts.hpp"

namespace inferload::output {

// Threshold expressions are evaluated here; an expression that does not parse throws
// std::invalid_argument (scripts are checked before a run, see check_script_thresholds).
// What one scenario measured.
struct ScenarioMeasures {
  const load::ScenarioConfig* config = nullptr;
  const load::Shard* shard = nullptr;
  const scenario::ProtocolShard* protocols = nullptr;
  std::uint64_t dropped_iterations = 0;
};

RunReport build_report(const load::RunResult& result, const std::vector<ScenarioMeasures>& scenarios,
                       const std::vector<scv2::ThresholdDecl>& thresholds, const scv2::Script& script, RunInfo info);

// Failure kinds as reports list them: most frequent first, then by error_code and status.
void order_failures(std::vector<metrics::FailureSummary>& failures);

// The scenario as `inferload merge` compares it (ScenarioShape).
ScenarioShape scenario_shape(const load::ScenarioConfig& config);

// Throws std::invalid_argument with one line when the threshold's metric is not one inferload
// reports (k6 refuses a threshold on a metric that does not exist: it would watch nothing), its
// {TAG:VALUE,...} selector is malformed, or an expression does not parse for the metric's type.
void check_threshold(const scv2::ThresholdDecl& threshold);
// check_threshold on each.
void check_thresholds(const std::vector<scv2::ThresholdDecl>& thresholds);

}  // namespace inferload::output
