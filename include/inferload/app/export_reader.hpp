#pragma once
// Reads a summary export back into the report it was written from, for `inferload merge`: the
// "inferload" section's raw values (docs/merge.md), not k6's rounded keys.
#include <string>
#include <string_view>
#include <vector>

#include "inferload/output/run_report.hpp"

namespace inferload::app {

struct ImportedExport {
  output::RunReport report;
  std::vector<std::string> trend_stats;  // the export's trend keys (--summary-trend-stats)
};

// Throws ExitError(kExitInvalidConfig) with one line naming `name` (the file) when the text is
// not JSON, is k6's own export or another document, or a value of the section is missing, of the
// wrong type or inconsistent (a histogram whose buckets do not add up to its count, ...).
ImportedExport parse_summary_export(std::string_view text, const std::string& name);

// The file's content through parse_summary_export; an unreadable file is the same error.
ImportedExport read_summary_export(const std::string& path);

}  // namespace inferload::app
