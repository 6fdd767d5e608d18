#pragma once
// --threshold 'METRIC[{TAG:VALUE,...}]: EXPRESSION': a threshold from the command line, as if the
// options file declared it on that metric. k6 has no such flag; a job's args are simpler to vary
// than a file mounted into its pod.
#include <string_view>
#include <vector>

#include "inferload/scv2/scripts.hpp"

namespace inferload::app {

// Splits at the first ':' after the metric name and its optional {...} selector (a selector's
// values may hold ':', as in {url:http://x}), and checks the threshold as k6 checks an
// options file's. Throws ExitError(kExitInvalidConfig) with one line naming --threshold and the value.
scv2::ThresholdDecl parse_threshold_flag(std::string_view value);

// Adds the threshold's expressions, in order, to the declaration of the same metric in
// `thresholds`, or appends it when there is none: one metric written one way is one entry of the
// summary and of the export.
void add_threshold(std::vector<scv2::ThresholdDecl>& thresholds, scv2::ThresholdDecl threshold);

}  // namespace inferload::app
