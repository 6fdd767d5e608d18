#include "inferload/output/merge_data.hpp"

#include "inferload/output/histogram_encoding.hpp"
#include "inferload/output/metric_values.hpp"
#include "inferload/output/threshold.hpp"

namespace inferload::output {
namespace {

using metrics::MetricSummary;
using metrics::MetricType;

void write_test(JsonWriter& w, const RunInfo& info) {
  w.begin_object();
  w.key("script");
  w.string(info.script);
  w.key("scenarios");
  w.begin_array();
  for (const ScenarioShape& s : info.scenarios) {
    w.element();
    w.begin_object();
    w.key("name");
    w.string(s.name);
    w.key("executor");
    w.string(s.executor);
    w.key("options");
    write_string_members(w, s.options);
    w.key("tags");
    write_string_members(w, s.tags);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void write_metric(JsonWriter& w, const MetricSummary& m) {
  w.begin_object();
  w.key("name");
  w.string(m.name);
  w.key("type");
  w.string(to_string(m.type));
  w.key("contains");
  w.string(to_string(m.contains));
  switch (m.type) {
    case MetricType::counter:
      w.key("count");
      w.number(m.count);
      break;
    case MetricType::gauge:
      w.key("value");
      w.number(m.value);
      w.key("min");
      w.number(m.min);
      w.key("max");
      w.number(m.max);
      break;
    case MetricType::rate:
      w.key("passes");
      w.integer(m.nonzero);
      w.key("fails");
      w.integer(m.zero);
      break;
    case MetricType::trend:
      w.key("histogram");
      write_histogram(w, trend_histogram(m));
      break;
  }
  if (m.has_thresholds) {
    w.key("thresholds");
    w.begin_array();
    for (const auto& t : m.thresholds) {
      w.element();
      w.string(t.expression);
    }
    w.end_array();
  }
  if (m.observed) {
    w.key("observed");
    w.boolean(true);
  }
  w.end_object();
}

}  // namespace

void write_histogram(JsonWriter& w, const metrics::Histogram& h) {
  w.begin_object();
  w.key("count");
  w.integer(h.count());
  w.key("min");
  w.integer(static_cast<std::uint64_t>(h.min()));
  w.key("max");
  w.integer(static_cast<std::uint64_t>(h.max()));
  w.key("sum");
  w.string(to_decimal(h.sum()));
  w.key("clamped");
  w.integer(h.clamped());
  w.key("buckets");
  w.string(encode_buckets(h));
  w.end_object();
}

void write_merge_data(JsonWriter& w, const RunReport& report, const std::vector<std::string>& trend_stats) {
  const RunInfo& info = report.info;
  if (!info.merged_from.empty()) {
    w.key("merged_from");
    write_strings(w, info.merged_from);
  }
  w.key("test_run");
  w.begin_object();
  w.key("spans");
  w.begin_array();
  for (const TimeSpan& s : report.test_run_spans) {
    w.element();
    w.begin_object();
    w.key("start_unix_ns");
    w.integer(static_cast<std::uint64_t>(s.start_ns));
    w.key("end_unix_ns");
    w.integer(static_cast<std::uint64_t>(s.end_ns));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  w.key("test");
  write_test(w, info);
  w.key("trend_stats");
  write_strings(w, trend_stats);
  w.key("histogram_layout");
  w.string(kHistogramLayout);
  w.key("checks");
  w.begin_array();
  for (const auto& c : report.checks) {
    w.element();
    w.begin_object();
    w.key("name");
    w.string(c.name);
    w.key("passes");
    w.integer(c.passes);
    w.key("fails");
    w.integer(c.fails);
    w.end_object();
  }
  w.end_array();
  w.key("metrics");
  w.begin_array();
  for (const MetricSummary* m : reported_by_name(report.metrics)) {
    w.element();
    write_metric(w, *m);
  }
  w.end_array();
}

std::string_view to_string(metrics::ValueKind kind) {
  switch (kind) {
    case metrics::ValueKind::plain:
      return "default";
    case metrics::ValueKind::time:
      return "time";
    case metrics::ValueKind::data:
      return "data";
  }
  return "?";
}

std::optional<metrics::ValueKind> value_kind_from(std::string_view name) {
  for (auto k : {metrics::ValueKind::plain, metrics::ValueKind::time, metrics::ValueKind::data}) {
    if (to_string(k) == name) return k;
  }
  return std::nullopt;
}

std::optional<metrics::MetricType> metric_type_from(std::string_view name) {
  for (auto t : {MetricType::counter, MetricType::gauge, MetricType::rate, MetricType::trend}) {
    if (to_string(t) == name) return t;
  }
  return std::nullopt;
}

}  // namespace inferload::output
