#pragma once
// --summary-trend-stats: which statistics a Trend shows in the text summary and exports in
// --summary-export. Each stat keeps the user's spelling as its key ("p(99.9)", "p(95.0)").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inferload/metrics/histogram.hpp"
#include "inferload/metrics/summary.hpp"

namespace inferload::output {

inline constexpr std::string_view kDefaultTrendStats = "avg,min,med,max,p(90),p(95)";

struct TrendStat {
  enum class Kind : std::uint8_t { avg, min, med, max, count, percentile };
  std::string key;  // as written: the summary column label and the export key
  Kind kind = Kind::avg;
  double percentile = 0;  // 0..100, for Kind::percentile; 50 for Kind::med
};

// One item: avg, min, med, max, count or p(N) with 0 <= N <= 100. Throws std::invalid_argument
// naming the item otherwise.
TrendStat parse_trend_stat(std::string_view item);

// A comma-separated list as given on the command line; spaces around items are ignored. Throws
// std::invalid_argument naming the first bad item, or saying that the list is empty.
std::vector<TrendStat> parse_trend_stats(std::string_view list);
std::vector<TrendStat> parse_trend_stats(const std::vector<std::string>& items);

// The items of kDefaultTrendStats.
std::vector<std::string> default_trend_stats();
// The summary export's trend keys when --summary-trend-stats is not given: k6's default plus
// p(99) and p(99.9), the tail SCv2's capacity studies read. Given, the list is used exactly.
std::vector<std::string> default_export_trend_stats();

// True, with N stored in `percentile`, when the token is "p(N)" and N is a number (Go float
// syntax) in 0..100. Thresholds accept the same percentile form as trend stats.
bool parse_percentile(std::string_view token, double& percentile);

// The stat in k6's units: time trends (nanoseconds inside inferload) in milliseconds as a double,
// data in bytes, plain values as they are; `count` is the number of samples. 0 for an empty trend.
double trend_stat_value(const TrendStat& stat, const metrics::Histogram& h, metrics::ValueKind kind);

}  // namespace inferload::output
