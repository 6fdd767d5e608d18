#include "inferload/output/report_merge.hpp"

#include "run_info_merge.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <string_view>

#include "inferload/output/merge_data.hpp"
#include "inferload/output/threshold.hpp"
#include "inferload/output/threshold_results.hpp"

namespace inferload::output {
namespace {

using metrics::MetricSummary;
using metrics::MetricType;

[[noreturn]] void mismatch(const MergeInput& a, const MergeInput& b, const std::string& why) {
  throw MergeMismatch(a.file + " and " + b.file + " are not parts of one test: " + why);
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out.append(out.empty() ? "" : ", ").append("'" + s + "'");
  return out.empty() ? "none" : out;
}

std::string scenario_difference(const ScenarioShape& a, const ScenarioShape& b) {
  const std::string what = "scenario '" + a.name + "': ";
  if (a.executor != b.executor) return what + "executor " + a.executor + " vs " + b.executor;
  for (const auto& [name, value] : a.options) {
    const auto it = std::find_if(b.options.begin(), b.options.end(), [&](const auto& o) { return o.first == name; });
    const std::string other = it == b.options.end() ? "none" : it->second;
    if (other != value) return what + name + " " + value + " vs " + other;
  }
  if (a.options != b.options) return what + "its options differ";
  return what + "its tags differ";
}

void check_scenarios(const MergeInput& a, const MergeInput& b) {
  const auto& sa = a.report.info.scenarios;
  const auto& sb = b.report.info.scenarios;
  auto names = [](const std::vector<ScenarioShape>& s) {
    std::vector<std::string> out;
    for (const ScenarioShape& x : s) out.push_back(x.name);
    return out;
  };
  if (names(sa) != names(sb)) mismatch(a, b, "scenarios " + quoted_list(names(sa)) + " vs " + quoted_list(names(sb)));
  for (std::size_t i = 0; i < sa.size(); ++i) {
    if (!(sa[i] == sb[i])) mismatch(a, b, scenario_difference(sa[i], sb[i]));
  }
}

std::vector<std::string> threshold_expressions(const MetricSummary& m) {
  std::vector<std::string> out;
  for (const auto& t : m.thresholds) out.push_back(t.expression);
  return out;
}

// Every metric with thresholds in one report has them, the same, in the other.
void check_thresholds_one_way(const MergeInput& a, const MergeInput& b) {
  for (const MetricSummary& ma : a.report.metrics) {
    if (!ma.has_thresholds) continue;
    const auto it = std::find_if(b.report.metrics.begin(), b.report.metrics.end(),
                                 [&](const MetricSummary& mb) { return mb.name == ma.name && mb.has_thresholds; });
    const std::string theirs = it == b.report.metrics.end() ? "none" : quoted_list(threshold_expressions(*it));
    const std::string ours = quoted_list(threshold_expressions(ma));
    if (it == b.report.metrics.end() || ours != theirs) {
      mismatch(a, b, "thresholds on " + ma.name + ": " + ours + " vs " + theirs);
    }
  }
}

bool same_config(const scv2::ConfigValue& a, const scv2::ConfigValue& b) {
  if (a.kind != b.kind || a.boolean != b.boolean || a.text != b.text || a.items.size() != b.items.size() ||
      a.members.size() != b.members.size()) {
    return false;
  }
  if (a.kind == scv2::ConfigValue::Kind::number && a.number != b.number) return false;
  for (std::size_t i = 0; i < a.items.size(); ++i) {
    if (!same_config(a.items[i], b.items[i])) return false;
  }
  for (std::size_t i = 0; i < a.members.size(); ++i) {
    if (a.members[i].first != b.members[i].first || !same_config(a.members[i].second, b.members[i].second)) return false;
  }
  return true;
}

// The suite's settings but for who loads and unloads the models: with execution segments only
// the first part runs setup and teardown.
scv2::ConfigValue test_settings(scv2::ConfigValue v) {
  constexpr std::string_view kLifecycle[] = {"skipSetup", "loadModel", "loadExperiment", "unloadModel", "unloadExperiment"};
  std::erase_if(v.members, [&](const auto& member) {
    return std::find(std::begin(kLifecycle), std::end(kLifecycle), member.first) != std::end(kLifecycle);
  });
  return v;
}

void check_same_test(const MergeInput& a, const MergeInput& b) {
  const RunInfo& ia = a.report.info;
  const RunInfo& ib = b.report.info;
  if (ia.script != ib.script) mismatch(a, b, "script '" + ia.script + "' vs '" + ib.script + "'");
  check_scenarios(a, b);
  check_thresholds_one_way(a, b);
  check_thresholds_one_way(b, a);
  if (ia.setup_data && ib.setup_data && !same_config(test_settings(*ia.setup_data), test_settings(*ib.setup_data))) {
    mismatch(a, b, "their setup_data (the suite's settings) differ");
  }
  for (const MetricSummary& ma : a.report.metrics) {
    for (const MetricSummary& mb : b.report.metrics) {
      if (ma.name == mb.name && (ma.type != mb.type || ma.contains != mb.contains)) {
        mismatch(a, b, "metric " + ma.name + " is a " + std::string(to_string(ma.type)) + " of " +
                           std::string(to_string(ma.contains)) + " vs a " + std::string(to_string(mb.type)) +
                           " of " + std::string(to_string(mb.contains)));
      }
    }
  }
}

// Adds b's samples to a, of the same name, type and kind.
void add_metric(MetricSummary& a, const MetricSummary& b) {
  switch (a.type) {
    case MetricType::counter:
      a.count += b.count;
      break;
    case MetricType::gauge:
      // The parts ran side by side, each with its share of the VUs: their gauges add up.
      a.value += b.value;
      a.min += b.min;
      a.max += b.max;
      break;
    case MetricType::rate:
      a.nonzero += b.nonzero;
      a.zero += b.zero;
      break;
    case MetricType::trend:
      if (b.trend && b.trend->count() > 0) {
        auto sum = std::make_shared<metrics::Histogram>();
        if (a.trend) *sum = *a.trend;
        sum->merge(*b.trend);
        a.trend = std::move(sum);
      }
      break;
  }
  a.observed = a.observed || b.observed;
}

std::vector<MetricSummary> merge_metrics(const std::vector<MergeInput>& inputs) {
  std::vector<MetricSummary> out;
  for (const MergeInput& in : inputs) {
    for (const MetricSummary& m : in.report.metrics) {
      auto it = std::find_if(out.begin(), out.end(), [&](const MetricSummary& o) { return o.name == m.name; });
      if (it == out.end()) out.push_back(m);
      else add_metric(*it, m);
    }
  }
  return out;
}

std::vector<metrics::CheckSummary> merge_checks(const std::vector<MergeInput>& inputs) {
  std::vector<metrics::CheckSummary> out;
  for (const MergeInput& in : inputs) {
    for (const auto& c : in.report.checks) {
      auto it = std::find_if(out.begin(), out.end(), [&](const auto& o) { return o.name == c.name; });
      if (it == out.end()) {
        out.push_back(c);
      } else {
        it->passes += c.passes;
        it->fails += c.fails;
      }
    }
  }
  return out;
}

}  // namespace

std::vector<TimeSpan> span_union(std::vector<TimeSpan> spans) {
  std::sort(spans.begin(), spans.end(), [](const TimeSpan& a, const TimeSpan& b) { return a.start_ns < b.start_ns; });
  std::vector<TimeSpan> out;
  for (const TimeSpan& s : spans) {
    if (!out.empty() && s.start_ns <= out.back().end_ns) {
      out.back().end_ns = std::max(out.back().end_ns, s.end_ns);
    } else {
      out.push_back(s);
    }
  }
  return out;
}

std::int64_t span_length(const std::vector<TimeSpan>& spans) {
  std::int64_t total = 0;
  for (const TimeSpan& s : spans) total += s.end_ns - s.start_ns;
  return total;
}

// A run's time span (to the nanosecond, from two clocks) is its identity: a part given twice, or
// a merged export together with one of its parts, would be counted twice.
void check_no_run_twice(const std::vector<MergeInput>& inputs) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    for (std::size_t j = i + 1; j < inputs.size(); ++j) {
      for (const TimeSpan& s : inputs[i].report.test_run_spans) {
        const auto& other = inputs[j].report.test_run_spans;
        if (std::find(other.begin(), other.end(), s) != other.end()) {
          throw MergeMismatch(inputs[i].file + " and " + inputs[j].file +
                              " hold the same run: merging it twice would count it twice");
        }
      }
    }
  }
}

RunReport merge_reports(const std::vector<MergeInput>& inputs) {
  if (inputs.empty()) throw std::invalid_argument("nothing to merge");
  for (std::size_t i = 1; i < inputs.size(); ++i) check_same_test(inputs.front(), inputs[i]);
  check_no_run_twice(inputs);

  RunReport r;
  r.metrics = merge_metrics(inputs);
  r.checks = merge_checks(inputs);
  std::vector<TimeSpan> spans;
  for (const MergeInput& in : inputs) spans.insert(spans.end(), in.report.test_run_spans.begin(), in.report.test_run_spans.end());
  r.test_run_spans = span_union(std::move(spans));
  r.test_run_duration_s = static_cast<double>(span_length(r.test_run_spans)) / 1e9;
  r.info = merge_run_info(inputs);
  evaluate_thresholds(r);
  return r;
}

}  // namespace inferload::output
