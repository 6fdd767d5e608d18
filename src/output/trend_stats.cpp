#include "inferload/output/trend_stats.hpp"

#include <cmath>
#include <stdexcept>

#include "inferload/output/k6_format.hpp"

namespace inferload::output {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool parse_percentile(std::string_view token, double& percentile) {
  if (token.size() < 4 || token.substr(0, 2) != "p(" || token.back() != ')') return false;
  const auto v = parse_go_float(token.substr(2, token.size() - 3));
  // The negated form also rejects NaN.
  if (!v || !(*v >= 0 && *v <= 100)) return false;
  percentile = *v;
  return true;
}

TrendStat parse_trend_stat(std::string_view item) {
  TrendStat stat;
  stat.key = std::string(item);
  if (item == "avg") {
    stat.kind = TrendStat::Kind::avg;
  } else if (item == "min") {
    stat.kind = TrendStat::Kind::min;
  } else if (item == "med") {
    stat.kind = TrendStat::Kind::med;
    stat.percentile = 50;
  } else if (item == "max") {
    stat.kind = TrendStat::Kind::max;
  } else if (item == "count") {
    stat.kind = TrendStat::Kind::count;
  } else if (parse_percentile(item, stat.percentile)) {
    stat.kind = TrendStat::Kind::percentile;
  } else {
    throw std::invalid_argument("invalid trend stat '" + std::string(item) +
                                "': use avg, min, med, max, count or p(N) with 0 <= N <= 100");
  }
  return stat;
}

std::vector<TrendStat> parse_trend_stats(std::string_view list) {
  // An empty list would silently empty every trend of the summary and the export.
  if (trim(list).empty()) {
    throw std::invalid_argument("the list is empty: give at least one of avg, min, med, max, count or p(N)");
  }
  std::vector<TrendStat> out;
  for (;;) {
    const std::size_t comma = list.find(',');
    out.push_back(parse_trend_stat(trim(list.substr(0, comma))));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

std::vector<TrendStat> parse_trend_stats(const std::vector<std::string>& items) {
  std::vector<TrendStat> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(parse_trend_stat(trim(item)));
  return out;
}

std::vector<std::string> default_trend_stats() {
  std::vector<std::string> out;
  for (const auto& s : parse_trend_stats(kDefaultTrendStats)) out.push_back(s.key);
  return out;
}

std::vector<std::string> default_export_trend_stats() {
  std::vector<std::string> out = default_trend_stats();
  out.emplace_back("p(99)");
  out.emplace_back("p(99.9)");
  return out;
}

double trend_stat_value(const TrendStat& stat, const metrics::Histogram& h, metrics::ValueKind kind) {
  if (stat.kind == TrendStat::Kind::count) return static_cast<double>(h.count());
  double v = 0;
  switch (stat.kind) {
    case TrendStat::Kind::avg:
      v = h.mean();
      break;
    case TrendStat::Kind::min:
      v = static_cast<double>(h.min());
      break;
    case TrendStat::Kind::max:
      v = static_cast<double>(h.max());
      break;
    case TrendStat::Kind::med:
    case TrendStat::Kind::percentile:
      v = h.percentile(stat.percentile);
      break;
    case TrendStat::Kind::count:
      break;
  }
  return kind == metrics::ValueKind::time ? v / 1e6 : v;
}

}  // namespace inferload::output
