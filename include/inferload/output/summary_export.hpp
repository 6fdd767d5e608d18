#pragma once
// --summary-export: k6's legacy machine-readable summary (root_group + flattened metrics), which
// SCv2's notebooks read, plus an "inferload" object with what k6 cannot report. Its "failures"
// array breaks requests.failed + requests.timed_out down by kind, most frequent first:
// {"error_code": k6's code, 0 for a status below 400; "status": 0 without a response; "error";
// "count"}. The object also carries what `inferload merge` adds up exactly (merge_data.hpp).
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "inferload/output/run_report.hpp"

namespace inferload::output {

// k6's id of a group or check: lowercase hex MD5 of its path ("" for the root group,
// "::<check name>" for a check in it).
std::string k6_id(std::string_view path);

// Writes the export as JSON.stringify(x, null, 4) would, without a trailing newline. Every
// reported metric appears (see is_reported), sorted by name; trends carry exactly the given
// trend stats (invalid ones throw std::invalid_argument before anything is written), and time
// trends also p(99) and p(99.9).
void write_summary_export(std::ostream& out, const RunReport& report,
                          const std::vector<std::string>& trend_stats);

// The same into a file, created or truncated. Throws std::runtime_error naming the file when it
// cannot be written, std::invalid_argument for invalid trend stats (the file is then untouched).
void write_summary_export_file(const std::string& path, const RunReport& report,
                               const std::vector<std::string>& trend_stats);

}  // namespace inferload::output
