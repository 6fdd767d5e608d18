#include "inferload/app/crossed_thresholds.hpp"

#include <cstdio>
#include <string>

#include "inferload/output/threshold_results.hpp"

namespace inferload::app {

bool report_crossed_thresholds(const output::RunReport& report) {
  const std::vector<std::string> crossed = output::crossed_threshold_metrics(report);
  if (crossed.empty()) return false;
  std::string names;
  for (const std::string& n : crossed) names.append(names.empty() ? "" : ", ").append(n);
  std::fprintf(stderr, "inferload: thresholds on metrics '%s' have been crossed\n", names.c_str());
  return true;
}

}  // namespace inferload::app
