#include "inferload/output/threshold_results.hpp"

#include <algorithm>
#include <stdexcept>

#include "inferload/output/threshold.hpp"

namespace inferload::output {

void evaluate_thresholds(RunReport& report) {
  for (metrics::MetricSummary& m : report.metrics) {
    for (metrics::ThresholdResult& t : m.thresholds) {
      ThresholdExpr e;
      try {
        e = parse_threshold(t.expression, m.type);
      } catch (const std::invalid_argument& ex) {
        throw std::invalid_argument("threshold on " + m.name + ": " + ex.what());
      }
      t.failed = !threshold_passes(e, m, report.test_run_duration_s);
    }
  }
}

std::vector<std::string> crossed_threshold_metrics(const RunReport& report) {
  std::vector<std::string> crossed;
  for (const auto& m : report.metrics) {
    for (const auto& t : m.thresholds) {
      if (t.failed && std::find(crossed.begin(), crossed.end(), m.name) == crossed.end()) crossed.push_back(m.name);
    }
  }
  std::sort(crossed.begin(), crossed.end());
  return crossed;
}

}  // namespace inferload::output
