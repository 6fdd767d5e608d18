#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "inferload/metrics/histogram.hpp"
#include "inferload/metrics/summary.hpp"
#include "inferload/output/report_builder.hpp"
#include "inferload/output/threshold.hpp"

namespace inferload::output {
namespace {

using metrics::MetricSummary;
using metrics::MetricType;
using metrics::ValueKind;

std::string error_of(std::string_view expr) {
  try {
    parse_threshold(expr);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

MetricSummary trend_ms(std::initializer_list<double> ms) {
  MetricSummary m;
  m.name = "http_req_duration";
  m.type = MetricType::trend;
  m.contains = ValueKind::time;
  auto h = std::make_shared<metrics::Histogram>();
  for (double v : ms) h->record(static_cast<std::int64_t>(v * 1e6));
  m.trend = h;
  return m;
}

TEST(ThresholdParse, Basic) {
  const auto e = parse_threshold("p(95)<500");
  EXPECT_EQ(e.source, "p(95)<500");
  EXPECT_EQ(e.aggregation, "p(95)");
  EXPECT_EQ(e.agg, ThresholdAgg::percentile);
  EXPECT_EQ(e.percentile, 95);
  EXPECT_EQ(e.op, ThresholdOp::lt);
  EXPECT_EQ(e.operand, 500);
}

TEST(ThresholdParse, OperatorsAndSpaces) {
  EXPECT_EQ(parse_threshold("  avg >= 200.5 ").op, ThresholdOp::ge);
  EXPECT_EQ(parse_threshold("  avg >= 200.5 ").operand, 200.5);
  EXPECT_EQ(parse_threshold("  avg >= 200.5 ").aggregation, "avg");
  EXPECT_EQ(parse_threshold("rate<=0.01").op, ThresholdOp::le);
  EXPECT_EQ(parse_threshold("count>10").op, ThresholdOp::gt);
  EXPECT_EQ(parse_threshold("value==1").op, ThresholdOp::eq);
  EXPECT_EQ(parse_threshold("value===1").op, ThresholdOp::eq);
  EXPECT_EQ(parse_threshold("value === 1").operand, 1);
  EXPECT_EQ(parse_threshold("max!=0").op, ThresholdOp::ne);
  EXPECT_EQ(parse_threshold("max>=0").op, ThresholdOp::ge);
  EXPECT_EQ(parse_threshold("count>1e3").operand, 1000);
  EXPECT_EQ(parse_threshold("med<3").agg, ThresholdAgg::med);
  EXPECT_EQ(parse_threshold("p(99.9) < 1").percentile, 99.9);
  EXPECT_EQ(parse_threshold("min>-5").operand, -5);
}

TEST(ThresholdParse, MalformedExpressions) {
  for (const char* bad : {"avg", "avg=5", "<5", "avg<", "avg<abc", "foo<1", "p(101)<1", "avg<5ms", "avg<<5",
                          "p(95<1", "", "AVG<1"}) {
    const std::string msg = error_of(bad);
    EXPECT_FALSE(msg.empty()) << bad;
    EXPECT_NE(msg.find(std::string("'") + bad + "'"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_EQ(error_of("foo<1"), "invalid threshold expression 'foo<1': unsupported aggregation method 'foo'");
  EXPECT_EQ(error_of("avg<5ms"), "invalid threshold expression 'avg<5ms': '5ms' is not a number");
}

TEST(ThresholdParse, AggregationsPerMetricType) {
  EXPECT_NO_THROW(parse_threshold("count>1", MetricType::counter));
  EXPECT_NO_THROW(parse_threshold("rate>1", MetricType::counter));
  EXPECT_NO_THROW(parse_threshold("value<1", MetricType::gauge));
  EXPECT_NO_THROW(parse_threshold("rate<1", MetricType::rate));
  for (const char* ok : {"avg<1", "min<1", "max<1", "med<1", "p(99.9)<1"}) {
    EXPECT_NO_THROW(parse_threshold(ok, MetricType::trend)) << ok;
  }
  EXPECT_THROW(parse_threshold("avg<5", MetricType::counter), std::invalid_argument);
  EXPECT_THROW(parse_threshold("count>1", MetricType::trend), std::invalid_argument);
  EXPECT_THROW(parse_threshold("rate<1", MetricType::gauge), std::invalid_argument);
  EXPECT_THROW(parse_threshold("value<1", MetricType::rate), std::invalid_argument);
  try {
    parse_threshold("avg<5", MetricType::counter);
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "invalid threshold expression 'avg<5': unsupported aggregation method 'avg' for a counter metric "
                 "(supported: count, rate)");
  }
}

std::string check_error(const std::string& metric, std::vector<std::string> expressions) {
  try {
    check_threshold({metric, std::move(expressions)});
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// What k6 refuses at start-up (exit 104) whichever source declares the threshold.
TEST(ThresholdCheck, MetricSelectorAndExpressionForItsType) {
  EXPECT_EQ(check_error("http_req_duration", {"p(95)<500", "avg<100"}), "");
  EXPECT_EQ(check_error("http_reqs{scenario:default}", {}), "");
  EXPECT_EQ(check_error("http_reqs{ team : 'x' ,tier:\"gold\"}", {"count>0"}), "");
  EXPECT_EQ(check_error("vus_max", {"value>0"}), "");
  EXPECT_EQ(check_error("checks", {"rate>0.99"}), "");

  const std::string unknown = check_error("http_req_durations", {"p(95)<500"});
  EXPECT_EQ(unknown.rfind("unknown metric 'http_req_durations' (inferload reports checks, data_received, ", 0), 0u)
      << unknown;
  EXPECT_NE(unknown.find("http_req_duration, "), std::string::npos) << unknown;
  // Known to k6 but never made by inferload: nothing would ever be measured.
  EXPECT_EQ(check_error("group_duration", {"avg<1"}).rfind("unknown metric 'group_duration'", 0), 0u);
  EXPECT_EQ(check_error("", {"avg<1"}).rfind("unknown metric ''", 0), 0u);

  EXPECT_EQ(check_error("http_reqs{scenario}", {}),
            "malformed selector '{scenario}' of metric 'http_reqs': expected {TAG:VALUE} or {TAG:VALUE,TAG:VALUE,...}");
  EXPECT_EQ(check_error("http_reqs{}", {}).rfind("malformed selector '{}'", 0), 0u);
  EXPECT_EQ(check_error("http_reqs{:x}", {}).rfind("malformed selector '{:x}'", 0), 0u);
  EXPECT_EQ(check_error("http_reqs{a:b", {}).rfind("malformed selector '{a:b'", 0), 0u);

  EXPECT_EQ(check_error("http_req_duration", {"p(95)<500", "count>1"}),
            "invalid threshold expression 'count>1': unsupported aggregation method 'count' for a trend metric "
            "(supported: avg, min, max, med, p(N))");
  EXPECT_EQ(check_error("http_req_failed{scenario:a}", {"rate<"}),
            "invalid threshold expression 'rate<': missing number after the operator");
}

TEST(ThresholdEval, TrendInMilliseconds) {
  const auto m = trend_ms({10, 20});
  EXPECT_TRUE(threshold_passes(parse_threshold("avg<16"), m, 1));
  EXPECT_FALSE(threshold_passes(parse_threshold("avg<15"), m, 1));
  EXPECT_TRUE(threshold_passes(parse_threshold("avg<=15"), m, 1));
  EXPECT_TRUE(threshold_passes(parse_threshold("p(95)<=19.5"), m, 1));
  EXPECT_FALSE(threshold_passes(parse_threshold("p(95)<19.5"), m, 1));
  EXPECT_TRUE(threshold_passes(parse_threshold("med==15"), m, 1));
  EXPECT_TRUE(threshold_passes(parse_threshold("min===10"), m, 1));
  EXPECT_TRUE(threshold_passes(parse_threshold("max>19.9"), m, 1));
  EXPECT_TRUE(threshold_passes(parse_threshold("max>=0"), m, 1));
  EXPECT_TRUE(threshold_passes(parse_threshold("max!=0"), m, 1));
  EXPECT_DOUBLE_EQ(*threshold_value(parse_threshold("p(95)<1"), m, 1), 19.5);
}

TEST(ThresholdEval, EmptyTrendIsAllZero) {
  MetricSummary m = trend_ms({});
  EXPECT_TRUE(threshold_passes(parse_threshold("p(95)<200"), m, 1));
  EXPECT_FALSE(threshold_passes(parse_threshold("avg>0"), m, 1));
  m.trend.reset();  // tolerated, treated as empty
  EXPECT_TRUE(threshold_passes(parse_threshold("max>=0"), m, 1));
}

TEST(ThresholdEval, CounterCountAndRate) {
  MetricSummary m;
  m.type = MetricType::counter;
  m.count = 45;
  EXPECT_TRUE(threshold_passes(parse_threshold("count==45"), m, 6.8586169));
  EXPECT_TRUE(threshold_passes(parse_threshold("rate>6.56"), m, 6.8586169));
  EXPECT_FALSE(threshold_passes(parse_threshold("rate>6.57"), m, 6.8586169));
  EXPECT_EQ(*threshold_value(parse_threshold("rate>0"), m, 0), 0);  // no run time, no rate

  m.contains = ValueKind::time;  // a time counter sums nanoseconds; k6 compares milliseconds
  m.count = 2'500'000;
  EXPECT_TRUE(threshold_passes(parse_threshold("count==2.5"), m, 1));
}

TEST(ThresholdEval, GaugeValue) {
  MetricSummary m;
  m.type = MetricType::gauge;
  m.value = 5;
  m.max = 7;
  EXPECT_TRUE(threshold_passes(parse_threshold("value==5"), m, 1));
  EXPECT_FALSE(threshold_passes(parse_threshold("value!=5"), m, 1));
}

TEST(ThresholdEval, RateAndEmptyRate) {
  MetricSummary m;
  m.type = MetricType::rate;
  m.nonzero = 1;
  m.zero = 44;
  EXPECT_FALSE(threshold_passes(parse_threshold("rate<0.01"), m, 1));
  EXPECT_TRUE(threshold_passes(parse_threshold("rate<0.03"), m, 1));

  MetricSummary empty;
  empty.type = MetricType::rate;
  EXPECT_FALSE(threshold_value(parse_threshold("rate>0.5"), empty, 1).has_value());
  EXPECT_TRUE(threshold_passes(parse_threshold("rate>0.5"), empty, 1));
  EXPECT_TRUE(threshold_passes(parse_threshold("rate<0"), empty, 1));
}

TEST(ThresholdEval, UnsupportedAggregationThrows) {
  MetricSummary counter;
  counter.type = MetricType::counter;
  EXPECT_THROW(threshold_passes(parse_threshold("avg<1"), counter, 1), std::invalid_argument);
}

TEST(ThresholdNames, Strings) {
  EXPECT_EQ(to_string(ThresholdOp::le), "<=");
  EXPECT_EQ(to_string(MetricType::trend), "trend");
}

}  // namespace
}  // namespace inferload::output
