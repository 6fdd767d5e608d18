#pragma once
// The end-of-test text summary in k6 1.1's default ("compact") layout, followed by an INFERLOAD
// section in the same style with what k6 cannot report (I/O backend, driver cost, the fate of
// every issued request and, by k6 error code, why the failed ones failed; tail latency).
#include <string>
#include <vector>

#include "inferload/output/run_report.hpp"
#include "inferload/output/trend_stats.hpp"

namespace inferload::output {

struct TextSummaryOptions {
  std::vector<std::string> trend_stats = default_trend_stats();  // --summary-trend-stats items
  std::string time_unit;                                         // --summary-time-unit: "", s, ms, us
  bool color = false;                                            // ANSI colours as k6 uses them
  bool inferload_section = true;  // off only to compare byte-for-byte with k6's own output
};

// The complete text k6 writes to stdout: "\n" + summary + "\n\n", where k6's summary itself
// starts with a newline, so the output opens with two empty lines. Throws std::invalid_argument
// for invalid trend stats or time unit.
std::string render_text_summary(const RunReport& report, const TextSummaryOptions& options = {});

}  // namespace inferload::output
