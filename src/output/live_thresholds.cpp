#include "inferload/output/live_thresholds.hpp"

#include <cmath>
#include <set>
#include <stdexcept>
#include <utility>

namespace inferload::output {
namespace {

// k6's check interval for thresholds during a run.
constexpr Nanos kCheckEvery = 2'000'000'000;

metrics::MetricType summary_type(MetricType t) noexcept {
  switch (t) {
    case MetricType::counter: return metrics::MetricType::counter;
    case MetricType::gauge: return metrics::MetricType::gauge;
    case MetricType::rate: return metrics::MetricType::rate;
    case MetricType::trend: return metrics::MetricType::trend;
  }
  return metrics::MetricType::counter;
}

}  // namespace

struct LiveThresholds::Watched {
  std::string name;  // as declared
  const MetricInfo* info = nullptr;
  std::vector<std::pair<std::string, std::string>> selector;  // all must be among the row's tags
  std::vector<std::pair<ThresholdExpr, Nanos>> rules;
  // The aggregate, as the end-of-run summary keeps it.
  std::shared_ptr<metrics::Histogram> trend = std::make_shared<metrics::Histogram>();
  double count = 0, value = 0, min = 0, max = 0;
  std::uint64_t nonzero = 0, zero = 0, samples = 0;

  bool matches(const SampleRow& row) const {
    if (row.metric != info) return false;
    for (const auto& [k, v] : selector) {
      bool found = false;
      for (std::size_t i = 0; i < row.tag_count && !found; ++i) found = row.tags[i].name == k && row.tags[i].value == v;
      if (!found) return false;
    }
    return true;
  }

  void add(double v) {
    ++samples;
    switch (info->type) {
      case MetricType::counter: count += v; break;
      case MetricType::gauge:
        value = v;
        min = samples == 1 ? v : std::min(min, v);
        max = samples == 1 ? v : std::max(max, v);
        break;
      case MetricType::rate: (v != 0 ? nonzero : zero) += 1; break;
      case MetricType::trend:
        // Rows carry milliseconds for time; the histograms keep nanoseconds.
        trend->record(info->contains == MetricContains::time ? std::llround(v * 1e6) : std::llround(v));
        break;
    }
  }

  metrics::MetricSummary summary() const {
    const auto kind = info->contains == MetricContains::time   ? metrics::ValueKind::time
                      : info->contains == MetricContains::data ? metrics::ValueKind::data
                                                               : metrics::ValueKind::plain;
    switch (info->type) {
      case MetricType::counter: return metrics::counter_metric(name, count, kind);
      case MetricType::gauge: return metrics::gauge_metric(name, value, min, max);
      case MetricType::rate: return metrics::rate_metric(name, nonzero, zero);
      case MetricType::trend: return metrics::trend_metric(name, kind, trend);
    }
    return {};
  }
};

LiveThresholds::LiveThresholds(const std::vector<AbortRule>& rules, Nanos start_unix,
                               std::function<void(const std::string&)> on_abort)
    : start_(start_unix), next_check_(start_unix + kCheckEvery), on_abort_(std::move(on_abort)) {
  for (const AbortRule& r : rules) {
    Watched* w = nullptr;
    for (auto& existing : watched_) {
      if (existing->name == r.metric) w = existing.get();
    }
    if (!w) {
      auto made = std::make_unique<Watched>();
      made->name = r.metric;
      const auto brace = r.metric.find('{');
      const std::string base = r.metric.substr(0, brace);
      made->info = SampleExpander::metric(base);
      if (!made->info) throw std::invalid_argument(r.metric + ": no sample of this metric is seen while the run goes on");
      if (brace != std::string::npos) {
        auto pairs = selector_pairs(r.metric.substr(brace));
        if (!pairs) throw std::invalid_argument(r.metric + ": malformed selector");
        made->selector = std::move(*pairs);
      }
      watched_.push_back(std::move(made));
      w = watched_.back().get();
    }
    w->rules.emplace_back(parse_threshold(r.expression, summary_type(w->info->type)), r.delay);
  }
}

LiveThresholds::~LiveThresholds() = default;

void LiveThresholds::write(const SampleRow& row) {
  // The thresholds at the end are evaluated on the summary's metrics, which leave setup's and
  // teardown's traffic out: so do these.
  if (row.record != nullptr && metrics::in_phase(row.record->kind)) return;
  for (auto& w : watched_) {
    if (w->matches(row)) w->add(row.value);
  }
}

void LiveThresholds::tick(Nanos now) {
  if (start_ == 0) {
    // The clock starts with the first tick of the output thread, which starts with the load.
    start_ = now;
    next_check_ = now + kCheckEvery;
    return;
  }
  if (aborted_ || now < next_check_) return;
  next_check_ = now + kCheckEvery;
  const Nanos elapsed = now - start_;
  const double seconds = static_cast<double>(elapsed) / 1e9;
  std::set<std::string> crossed;
  for (auto& w : watched_) {
    // k6 evaluates only aggregates that have samples.
    if (w->samples == 0) continue;
    const metrics::MetricSummary m = w->summary();
    for (const auto& [expr, delay] : w->rules) {
      if (elapsed >= delay && !threshold_passes(expr, m, seconds)) crossed.insert(w->name);
    }
  }
  if (crossed.empty()) return;
  aborted_ = true;
  std::string names;
  for (const std::string& n : crossed) names += (names.empty() ? "" : ", ") + n;
  on_abort_(names);
}

}  // namespace inferload::output
