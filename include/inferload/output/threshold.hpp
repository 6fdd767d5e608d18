#pragma once
// k6 threshold expressions ("p(95)<500", "rate < 0.01", "count>=10"): parsing and evaluation
// against a finished metric. Trend values compare in milliseconds, counter rates per second of
// test-run time, as in k6.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inferload/metrics/summary.hpp"

namespace inferload::output {

enum class ThresholdOp : std::uint8_t { lt, le, gt, ge, eq, ne };

enum class ThresholdAgg : std::uint8_t { count, rate, value, avg, min, max, med, percentile };

struct ThresholdExpr {
  std::string source;       // the expression as written
  std::string aggregation;  // the trimmed text before the operator, e.g. "p(99.9)"
  ThresholdAgg agg = ThresholdAgg::avg;
  double percentile = 0;    // for ThresholdAgg::percentile
  ThresholdOp op = ThresholdOp::lt;
  double operand = 0;
};

// Syntax only: `<aggregation> <operator> <number>`, spaces optional. The operator is found as
// k6 finds it: the first of <=, <, >=, >, ===, ==, != that occurs anywhere in the text. Throws
// std::invalid_argument with a one-line message on a malformed expression.
ThresholdExpr parse_threshold(std::string_view expression);

// Also checks that the aggregation exists for the metric type (counter: count, rate; gauge:
// value; rate: rate; trend: avg, min, max, med, p(N)).
ThresholdExpr parse_threshold(std::string_view expression, metrics::MetricType type);

bool threshold_supported(ThresholdAgg agg, metrics::MetricType type);

// The aggregate the expression compares, in k6's units. nullopt for a Rate without samples:
// k6 then has no value and the threshold passes whatever it says.
std::optional<double> threshold_value(const ThresholdExpr& expr, const metrics::MetricSummary& m,
                                      double test_run_duration_s);

// True when the threshold holds (k6's "ok"). An aggregation the metric type does not support
// throws std::invalid_argument.
bool threshold_passes(const ThresholdExpr& expr, const metrics::MetricSummary& m,
                      double test_run_duration_s);

// The tag pairs of a submetric's selector, "{k:v,k2:v2}", read as k6 reads them (keys and values
// without the spaces and quotes around them); nothing when it is not one.
std::optional<std::vector<std::pair<std::string, std::string>>> selector_pairs(const std::string& selector);

std::string_view to_string(ThresholdOp op);
std::string_view to_string(metrics::MetricType type);

}  // namespace inferload::output
