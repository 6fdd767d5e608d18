#pragma once
// What the summary export carries beyond k6's keys so that `inferload merge` can add runs up
// exactly: every reported metric's raw values (a trend's whole histogram), the checks, the test's
// shape and when it ran. Written inside the export's "inferload" object; docs/merge.md describes
// every key.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inferload/metrics/histogram.hpp"
#include "inferload/metrics/summary.hpp"
#include "inferload/output/json_writer.hpp"
#include "inferload/output/run_report.hpp"

namespace inferload::output {

// {"count", "min", "max", "sum" (a decimal string: it may pass 2^64), "clamped", "buckets"
// (encode_buckets)}, values in the histogram's own unit (nanoseconds for times).
void write_histogram(JsonWriter& w, const metrics::Histogram& h);

// The members "test_run", "test", "trend_stats", "histogram_layout", "checks" and "metrics" of
// the open "inferload" object (and "merged_from" for a merged report).
void write_merge_data(JsonWriter& w, const RunReport& report, const std::vector<std::string>& trend_stats);

// A value kind as k6 names it in its JSON output ("default", "time", "data"), and back.
std::string_view to_string(metrics::ValueKind kind);
std::optional<metrics::ValueKind> value_kind_from(std::string_view name);
// "counter", "gauge", "rate" or "trend" (threshold.hpp's to_string), back to the type.
std::optional<metrics::MetricType> metric_type_from(std::string_view name);

}  // namespace inferload::output
