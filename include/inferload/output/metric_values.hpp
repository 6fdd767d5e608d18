#pragma once
// A MetricSummary's aggregates in k6's units and k6's definitions, shared by the text summary,
// the summary export and the threshold evaluator so that all three always agree.
#include <string_view>
#include <vector>

#include "inferload/metrics/histogram.hpp"
#include "inferload/metrics/summary.hpp"

namespace inferload::output {

// k6 reports times in milliseconds; inferload keeps nanoseconds.
double to_k6_units(double value, metrics::ValueKind kind);

// Counter: sum per second of test-run time, in k6 units; 0 for a zero-length run (as k6).
double counter_rate(const metrics::MetricSummary& m, double test_run_duration_s);

// Rate: non-zero samples / all samples; 0 when there are none.
double rate_fraction(const metrics::MetricSummary& m);

// The trend's histogram, or an empty one if the summary carries none.
const metrics::Histogram& trend_histogram(const metrics::MetricSummary& m);

bool has_samples(const metrics::MetricSummary& m);

// Whether k6 would list the metric at all: it received samples, or it is named in thresholds
// (even with an empty list). A gauge present in the report counts as observed, since a gauge
// holding 0 is indistinguishable from one never set.
bool is_reported(const metrics::MetricSummary& m);

// The reported metrics (is_reported), sorted by name: k6's key order comes from Go maps and is
// random, and a sorted export diffs.
std::vector<const metrics::MetricSummary*> reported_by_name(const std::vector<metrics::MetricSummary>& all);

// "http_req_duration{scenario:default}" → "http_req_duration".
std::string_view parent_name(std::string_view metric_name);

}  // namespace inferload::output
