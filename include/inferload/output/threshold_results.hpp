#pragma once
// The thresholds of a finished report: evaluated again (after a merge) and listed when crossed.
#include <string>
#include <vector>

#include "inferload/output/run_report.hpp"

namespace inferload::output {

// Sets every threshold's `failed` from its metric as the report now has it, over the report's
// test_run_duration_s. Throws std::invalid_argument naming the metric when an expression does
// not parse for its metric's type.
void evaluate_thresholds(RunReport& report);

// The metrics with a failed threshold, sorted by name, each once: k6's "thresholds on metrics
// '...' have been crossed".
std::vector<std::string> crossed_threshold_metrics(const RunReport& report);

}  // namespace inferload::output
