#pragma once
// `inferload merge`: the report that one process running every part of a test would have made,
// from the reports of the parts (read back from their summary exports). Counts, checks, request
// fates and histograms add up; a trend's percentiles come from its merged histogram, so they are
// those of all the parts' samples to the bucket; counter rates divide by the union of the parts'
// time spans; thresholds are evaluated again on the merged metrics.
#include <stdexcept>
#include <string>
#include <vector>

#include "inferload/output/run_report.hpp"

namespace inferload::output {

// One part: the file its export came from (named in messages) and what it reported.
struct MergeInput {
  std::string file;
  RunReport report;
};

// Thrown when two inputs are not parts of one test; the message is one line naming both files.
class MergeMismatch : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// At least one input. The merged report's thresholds are evaluated (their `failed` set);
// info.merged_from lists the inputs' files (an input that was itself merged adds its own list).
RunReport merge_reports(const std::vector<MergeInput>& inputs);

// The union of time spans as disjoint spans in order, and its length in nanoseconds.
std::vector<TimeSpan> span_union(std::vector<TimeSpan> spans);
std::int64_t span_length(const std::vector<TimeSpan>& spans);

}  // namespace inferload::output
