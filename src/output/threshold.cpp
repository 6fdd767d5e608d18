#include "inferload/output/threshold.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>

#include "inferload/output/k6_format.hpp"
#include "inferload/output/metric_values.hpp"
#include "inferload/output/trend_stats.hpp"

namespace inferload::output {
namespace {

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\v\f";
  const std::size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

[[noreturn]] void fail(std::string_view expr, const std::string& why) {
  throw std::invalid_argument("invalid threshold expression '" + std::string(expr) + "': " + why);
}

std::string_view supported_list(metrics::MetricType type) {
  switch (type) {
    case metrics::MetricType::counter:
      return "count, rate";
    case metrics::MetricType::gauge:
      return "value";
    case metrics::MetricType::rate:
      return "rate";
    case metrics::MetricType::trend:
      return "avg, min, max, med, p(N)";
  }
  return "";
}

[[noreturn]] void fail_unsupported(std::string_view expr, const std::string& agg, metrics::MetricType type) {
  fail(expr, "unsupported aggregation method '" + agg + "' for a " + std::string(to_string(type)) +
                 " metric (supported: " + std::string(supported_list(type)) + ")");
}

}  // namespace

std::string_view to_string(ThresholdOp op) {
  switch (op) {
    case ThresholdOp::lt:
      return "<";
    case ThresholdOp::le:
      return "<=";
    case ThresholdOp::gt:
      return ">";
    case ThresholdOp::ge:
      return ">=";
    case ThresholdOp::eq:
      return "==";
    case ThresholdOp::ne:
      return "!=";
  }
  return "?";
}

std::string_view to_string(metrics::MetricType type) {
  switch (type) {
    case metrics::MetricType::counter:
      return "counter";
    case metrics::MetricType::gauge:
      return "gauge";
    case metrics::MetricType::rate:
      return "rate";
    case metrics::MetricType::trend:
      return "trend";
  }
  return "?";
}

ThresholdExpr parse_threshold(std::string_view expression) {
  // k6 tests the operators in this order, so "<=" wins over "<" and "===" over "==".
  static constexpr std::array<std::pair<std::string_view, ThresholdOp>, 7> kOps = {{
      {"<=", ThresholdOp::le},
      {"<", ThresholdOp::lt},
      {">=", ThresholdOp::ge},
      {">", ThresholdOp::gt},
      {"===", ThresholdOp::eq},
      {"==", ThresholdOp::eq},
      {"!=", ThresholdOp::ne},
  }};

  ThresholdExpr out;
  out.source = std::string(expression);
  std::size_t pos = std::string_view::npos;
  std::size_t len = 0;
  for (const auto& [text, op] : kOps) {
    pos = expression.find(text);
    if (pos != std::string_view::npos) {
      out.op = op;
      len = text.size();
      break;
    }
  }
  if (pos == std::string_view::npos) {
    fail(expression,
         "expected '<aggregation> <operator> <number>' with an operator among <, <=, >, >=, ==, ===, !=");
  }

  const std::string_view agg = trim(expression.substr(0, pos));
  const std::string_view number = trim(expression.substr(pos + len));
  out.aggregation = std::string(agg);
  if (agg.empty()) fail(expression, "missing aggregation method before the operator");

  if (agg == "count") {
    out.agg = ThresholdAgg::count;
  } else if (agg == "rate") {
    out.agg = ThresholdAgg::rate;
  } else if (agg == "value") {
    out.agg = ThresholdAgg::value;
  } else if (agg == "avg") {
    out.agg = ThresholdAgg::avg;
  } else if (agg == "min") {
    out.agg = ThresholdAgg::min;
  } else if (agg == "max") {
    out.agg = ThresholdAgg::max;
  } else if (agg == "med") {
    out.agg = ThresholdAgg::med;
    out.percentile = 50;
  } else if (agg.substr(0, 2) == "p(") {
    if (!parse_percentile(agg, out.percentile)) {
      fail(expression, "invalid percentile '" + std::string(agg) + "': expected p(N) with 0 <= N <= 100");
    }
    out.agg = ThresholdAgg::percentile;
  } else {
    fail(expression, "unsupported aggregation method '" + std::string(agg) + "'");
  }

  if (number.empty()) fail(expression, "missing number after the operator");
  const auto v = parse_go_float(number);
  if (!v) fail(expression, "'" + std::string(number) + "' is not a number");
  out.operand = *v;
  return out;
}

bool threshold_supported(ThresholdAgg agg, metrics::MetricType type) {
  switch (type) {
    case metrics::MetricType::counter:
      return agg == ThresholdAgg::count || agg == ThresholdAgg::rate;
    case metrics::MetricType::gauge:
      return agg == ThresholdAgg::value;
    case metrics::MetricType::rate:
      return agg == ThresholdAgg::rate;
    case metrics::MetricType::trend:
      return agg == ThresholdAgg::avg || agg == ThresholdAgg::min || agg == ThresholdAgg::max ||
             agg == ThresholdAgg::med || agg == ThresholdAgg::percentile;
  }
  return false;
}

ThresholdExpr parse_threshold(std::string_view expression, metrics::MetricType type) {
  ThresholdExpr out = parse_threshold(expression);
  if (!threshold_supported(out.agg, type)) fail_unsupported(expression, out.aggregation, type);
  return out;
}

std::optional<double> threshold_value(const ThresholdExpr& expr, const metrics::MetricSummary& m,
                                      double test_run_duration_s) {
  if (!threshold_supported(expr.agg, m.type)) fail_unsupported(expr.source, expr.aggregation, m.type);
  switch (expr.agg) {
    case ThresholdAgg::count:
      return to_k6_units(m.count, m.contains);
    case ThresholdAgg::rate:
      if (m.type == metrics::MetricType::counter) return counter_rate(m, test_run_duration_s);
      if (m.nonzero + m.zero == 0) return std::nullopt;
      return rate_fraction(m);
    case ThresholdAgg::value:
      return to_k6_units(m.value, m.contains);
    case ThresholdAgg::avg:
    case ThresholdAgg::min:
    case ThresholdAgg::max:
    case ThresholdAgg::med:
    case ThresholdAgg::percentile:
      break;
  }
  TrendStat stat;
  stat.percentile = expr.percentile;
  switch (expr.agg) {
    case ThresholdAgg::avg:
      stat.kind = TrendStat::Kind::avg;
      break;
    case ThresholdAgg::min:
      stat.kind = TrendStat::Kind::min;
      break;
    case ThresholdAgg::max:
      stat.kind = TrendStat::Kind::max;
      break;
    default:
      stat.kind = TrendStat::Kind::percentile;
      break;
  }
  return trend_stat_value(stat, trend_histogram(m), m.contains);
}

bool threshold_passes(const ThresholdExpr& expr, const metrics::MetricSummary& m,
                      double test_run_duration_s) {
  const auto v = threshold_value(expr, m, test_run_duration_s);
  if (!v) return true;
  const double x = expr.operand;
  switch (expr.op) {
    case ThresholdOp::lt:
      return *v < x;
    case ThresholdOp::le:
      return *v <= x;
    case ThresholdOp::gt:
      return *v > x;
    case ThresholdOp::ge:
      return *v >= x;
    case ThresholdOp::eq:
      return *v == x;
    case ThresholdOp::ne:
      return *v != x;
  }
  return false;
}

// A selector's key or value as k6 reads it: without the spaces and quotes around it.
namespace {

std::string trim_tag(std::string_view s) {
  constexpr std::string_view kSpace = " \t";
  constexpr std::string_view kQuotes = "\"'";
  for (std::string_view cut : {kSpace, kQuotes, kSpace}) {
    const std::size_t b = s.find_first_not_of(cut);
    s = b == std::string_view::npos ? std::string_view() : s.substr(b, s.find_last_not_of(cut) - b + 1);
  }
  return std::string(s);
}

}  // namespace

std::optional<std::vector<std::pair<std::string, std::string>>> selector_pairs(const std::string& tag) {
  if (tag.size() < 2 || tag.front() != '{' || tag.back() != '}') return std::nullopt;
  std::vector<std::pair<std::string, std::string>> pairs;
  const std::string body = tag.substr(1, tag.size() - 2);
  std::size_t at = 0;
  while (at <= body.size()) {
    const std::size_t end = std::min(body.find(',', at), body.size());
    const std::string item = body.substr(at, end - at);
    const std::size_t colon = item.find(':');
    if (colon == std::string::npos) return std::nullopt;
    std::string key = trim_tag(std::string_view(item).substr(0, colon));
    if (key.empty()) return std::nullopt;
    pairs.emplace_back(std::move(key), trim_tag(std::string_view(item).substr(colon + 1)));
    at = end + 1;
  }
  return pairs;
}

}  // namespace inferload::output
