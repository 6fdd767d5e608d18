#include "inferload/metrics/summary.hpp"

namespace inferload::metrics {

MetricSummary counter_metric(std::string name, double count, ValueKind kind) {
  MetricSummary m;
  m.name = std::move(name);
  m.type = MetricType::counter;
  m.contains = kind;
  m.count = count;
  return m;
}

MetricSummary gauge_metric(std::string name, double value, double min, double max) {
  MetricSummary m;
  m.name = std::move(name);
  m.type = MetricType::gauge;
  m.value = value;
  m.min = min;
  m.max = max;
  return m;
}

MetricSummary rate_metric(std::string name, std::uint64_t nonzero, std::uint64_t zero) {
  MetricSummary m;
  m.name = std::move(name);
  m.type = MetricType::rate;
  m.nonzero = nonzero;
  m.zero = zero;
  return m;
}

MetricSummary trend_metric(std::string name, ValueKind kind, std::shared_ptr<const Histogram> samples) {
  MetricSummary m;
  m.name = std::move(name);
  m.type = MetricType::trend;
  m.contains = kind;
  m.trend = samples ? std::move(samples) : std::make_shared<const Histogram>();
  return m;
}

}  // namespace inferload::metrics
