#include "inferload/output/metric_values.hpp"

#include <algorithm>

namespace inferload::output {

double to_k6_units(double value, metrics::ValueKind kind) {
  return kind == metrics::ValueKind::time ? value / 1e6 : value;
}

double counter_rate(const metrics::MetricSummary& m, double test_run_duration_s) {
  if (!(test_run_duration_s > 0)) return 0;
  return to_k6_units(m.count, m.contains) / test_run_duration_s;
}

double rate_fraction(const metrics::MetricSummary& m) {
  const std::uint64_t total = m.nonzero + m.zero;
  return total == 0 ? 0.0 : static_cast<double>(m.nonzero) / static_cast<double>(total);
}

const metrics::Histogram& trend_histogram(const metrics::MetricSummary& m) {
  static const metrics::Histogram empty;
  return m.trend ? *m.trend : empty;
}

bool has_samples(const metrics::MetricSummary& m) {
  switch (m.type) {
    case metrics::MetricType::counter:
      return m.count != 0;
    case metrics::MetricType::gauge:
      return true;
    case metrics::MetricType::rate:
      return m.nonzero + m.zero > 0;
    case metrics::MetricType::trend:
      return m.trend && m.trend->count() > 0;
  }
  return false;
}

bool is_reported(const metrics::MetricSummary& m) { return m.observed || m.has_thresholds || has_samples(m); }

std::vector<const metrics::MetricSummary*> reported_by_name(const std::vector<metrics::MetricSummary>& all) {
  std::vector<const metrics::MetricSummary*> shown;
  for (const auto& m : all) {
    if (is_reported(m)) shown.push_back(&m);
  }
  std::stable_sort(shown.begin(), shown.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
  return shown;
}

std::string_view parent_name(std::string_view metric_name) {
  return metric_name.substr(0, metric_name.find('{'));
}

}  // namespace inferload::output
