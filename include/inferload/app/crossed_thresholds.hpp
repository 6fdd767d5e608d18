#pragma once
#include "inferload/output/run_report.hpp"

namespace inferload::app {

// Says on stderr, in k6's words, which metrics' thresholds failed; true when any did (exit 99).
bool report_crossed_thresholds(const output::RunReport& report);

}  // namespace inferload::app
