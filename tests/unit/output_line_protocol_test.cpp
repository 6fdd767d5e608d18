// InfluxDB line protocol as k6's InfluxDB v1 output writes it: escaping, tag order, empty tags,
// tags turned into fields, float text, precision, and timestamps kept unique per series.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "inferload/output/line_protocol.hpp"

namespace inferload::output {
namespace {

namespace lp = line_protocol;

const MetricInfo kDuration{"http_req_duration", MetricType::trend, MetricContains::time};

std::vector<std::pair<std::string, InfluxFieldKind>> url_as_field() { return {{"url", InfluxFieldKind::string}}; }

std::string line(lp::Formatter& f, const MetricInfo& m, Nanos t, double v, const std::vector<Tag>& tags) {
  std::string out;
  // Tag set 0: each row renders its tags anew.
  EXPECT_TRUE(f.append(out, SampleRow{&m, t, v, tags.data(), tags.size(), 0, nullptr}));
  return out;
}

std::string float_text(double v) {
  std::string s;
  lp::append_float(s, v);
  return s;
}

TEST(LineProtocol, TheReferencePointOfAnHttpRequest) {
  lp::Formatter f(url_as_field(), 1);
  const std::string url = "http://seldon-mesh:80/v2/models/iris/infer";
  const std::vector<Tag> tags = {{"expected_response", "true"}, {"group", ""},          {"method", "POST"},
                                 {"name", url},                 {"proto", "HTTP/1.1"}, {"scenario", "default"},
                                 {"status", "200"},             {"testid", "run1"},    {"url", url}};
  EXPECT_EQ(line(f, kDuration, 1718000000123456789, 12.345678, tags),
            "http_req_duration,expected_response=true,method=POST,name=" + url +
                ",proto=HTTP/1.1,scenario=default,status=200,testid=run1 url=\"" + url +
                "\",value=12.345678 1718000000123456789\n");
}

TEST(LineProtocol, FloatsAreShortestDecimalsWithoutExponent) {
  EXPECT_EQ(float_text(1.0), "1");
  EXPECT_EQ(float_text(0.0), "0");
  EXPECT_EQ(float_text(12.345678), "12.345678");
  EXPECT_EQ(float_text(0.1), "0.1");
  EXPECT_EQ(float_text(-2.5), "-2.5");
  EXPECT_EQ(float_text(1234567.0), "1234567");
  EXPECT_EQ(float_text(1e21), "1000000000000000000000");
  EXPECT_EQ(float_text(1e-7), "0.0000001");
  EXPECT_EQ(float_text(0.30000000000000004), "0.30000000000000004");
  // The longest form there is, a subnormal, still fits.
  EXPECT_EQ(float_text(std::numeric_limits<double>::denorm_min()).size(), 2 + 323 + 1u);
}

TEST(LineProtocol, EscapesMeasurementTagsAndFieldsEachTheirOwnWay) {
  std::string s;
  lp::append_measurement(s, "my metric,x=1");
  EXPECT_EQ(s, "my\\ metric\\,x=1");  // '=' is plain in a measurement
  s.clear();
  lp::append_tag_text(s, "a b,c=d\"e\\f");
  EXPECT_EQ(s, "a\\ b\\,c\\=d\"e\\f");  // quotes and backslashes are plain in tags
  s.clear();
  lp::append_string_field(s, "say \"hi\" \\ now, a=b");
  EXPECT_EQ(s, "\"say \\\"hi\\\" \\\\ now, a=b\"");
  s.clear();
  lp::append_field_key(s, "a b,c=\"d");
  EXPECT_EQ(s, "a\\ b\\,c\\=\\\"d");

  lp::Formatter f(url_as_field(), 1);
  const MetricInfo odd{"odd metric,x", MetricType::counter, MetricContains::plain};
  EXPECT_EQ(line(f, odd, 7, 1, {{"k ey", "v,a=l"}, {"url", "http://h/a \"b\""}}),
            "odd\\ metric\\,x,k\\ ey=v\\,a\\=l url=\"http://h/a \\\"b\\\"\",value=1 7\n");
}

TEST(LineProtocol, TagsAreSortedAndEmptyOnesLeftOut) {
  lp::Formatter f({}, 1);
  // Out of order on purpose: a scenario's own tags may come in any order.
  EXPECT_EQ(line(f, kDuration, 5, 0.5, {{"status", "200"}, {"group", ""}, {"b", "2"}, {"a", "1"}, {"proto", ""}}),
            "http_req_duration,a=1,b=2,status=200 value=0.5 5\n");
  EXPECT_EQ(line(f, kDuration, 6, 3, {}), "http_req_duration value=3 6\n");
}

TEST(LineProtocol, TagsAsFieldsTakeTheirTypeOrStayStrings) {
  lp::Formatter f({{"url", InfluxFieldKind::string},
                   {"status", InfluxFieldKind::integer},
                   {"ratio", InfluxFieldKind::floating},
                   {"ok", InfluxFieldKind::boolean},
                   {"vu", InfluxFieldKind::integer},
                   {"group", InfluxFieldKind::string}},
                  1);
  // Fields sorted by key, "value" among them: vu comes after it.
  EXPECT_EQ(line(f, kDuration, 9, 2,
                 {{"group", ""}, {"ok", "T"}, {"ratio", "+0.25"}, {"scenario", "s"}, {"status", "200"},
                  {"url", "u"}, {"vu", "7"}}),
            "http_req_duration,scenario=s group=\"\",ok=true,ratio=0.25,status=200i,url=\"u\",value=2,vu=7i 9\n");
  // What does not parse as its type is written as a string, as k6 falls back.
  EXPECT_EQ(line(f, kDuration, 9, 2, {{"ok", "maybe"}, {"ratio", "NaN"}, {"status", "2xx"}, {"vu", "+-1"}}),
            "http_req_duration ok=\"maybe\",ratio=\"NaN\",status=\"2xx\",value=2,vu=\"+-1\" 9\n");
  // Tags not listed stay tags.
  lp::Formatter plain(url_as_field(), 1);
  EXPECT_EQ(line(plain, kDuration, 9, 2, {{"status", "200"}}), "http_req_duration,status=200 value=2 9\n");
}

TEST(LineProtocol, ATagNamedValueGivesWayToTheSampleValue) {
  lp::Formatter f({{"value", InfluxFieldKind::string}}, 1);
  EXPECT_EQ(line(f, kDuration, 1, 4.5, {{"a", "b"}, {"value", "x"}}), "http_req_duration,a=b value=4.5 1\n");
}

TEST(LineProtocol, PrecisionDividesTheTimestamp) {
  EXPECT_EQ(lp::precision_divisor(""), 1);
  EXPECT_EQ(lp::precision_divisor("n"), 1);
  EXPECT_EQ(lp::precision_divisor("ns"), 1);
  EXPECT_EQ(lp::precision_divisor("u"), 1'000);
  EXPECT_EQ(lp::precision_divisor("ms"), 1'000'000);
  EXPECT_EQ(lp::precision_divisor("s"), 1'000'000'000);
  EXPECT_EQ(lp::precision_divisor("m"), 60'000'000'000);
  EXPECT_EQ(lp::precision_divisor("h"), 3'600'000'000'000);
  EXPECT_EQ(lp::precision_divisor("us"), 0);  // the v1 client refuses it
  EXPECT_EQ(lp::precision_divisor("1s"), 0);

  lp::Formatter ms({}, 1'000'000);
  EXPECT_EQ(line(ms, kDuration, 1718000000123456789, 1, {}), "http_req_duration value=1 1718000000123\n");
  // Coarse precision is the user's choice: equal times stay equal, as in k6.
  EXPECT_EQ(line(ms, kDuration, 1718000000123456789, 1, {}), "http_req_duration value=1 1718000000123\n");
}

TEST(LineProtocol, NanAndInfinityAreRefusedWhole) {
  lp::Formatter f({}, 1);
  std::string out = "before\n";
  const Tag tag{"a", "b"};
  EXPECT_FALSE(f.append(out, SampleRow{&kDuration, 1, std::nan(""), &tag, 1, 0, nullptr}));
  EXPECT_FALSE(f.append(out, SampleRow{&kDuration, 1, std::numeric_limits<double>::infinity(), &tag, 1, 0, nullptr}));
  EXPECT_EQ(out, "before\n");
}

TEST(LineProtocol, PointsOfOneSeriesNeverShareANanosecond) {
  lp::Formatter f(url_as_field(), 1);
  const std::vector<Tag> a = {{"scenario", "default"}, {"url", "http://h/a"}};
  const std::vector<Tag> b = {{"scenario", "other"}};
  // One wake-up's completions: the same time for three points of one series.
  EXPECT_EQ(line(f, kDuration, 1000, 1, a), "http_req_duration,scenario=default url=\"http://h/a\",value=1 1000\n");
  EXPECT_EQ(line(f, kDuration, 1000, 2, a), "http_req_duration,scenario=default url=\"http://h/a\",value=2 1001\n");
  // Another series at that time keeps it; the url is a field, so it does not make a series.
  EXPECT_EQ(line(f, kDuration, 1000, 3, b), "http_req_duration,scenario=other value=3 1000\n");
  EXPECT_EQ(line(f, kDuration, 1000, 4, {{"scenario", "default"}, {"url", "http://h/b"}}),
            "http_req_duration,scenario=default url=\"http://h/b\",value=4 1002\n");
  // Another measurement is another series.
  const MetricInfo reqs{"http_reqs", MetricType::counter, MetricContains::plain};
  EXPECT_EQ(line(f, reqs, 1000, 1, a), "http_reqs,scenario=default url=\"http://h/a\",value=1 1000\n");
  // A later time the run already took moves on too; a time past it is kept.
  EXPECT_EQ(line(f, kDuration, 1001, 5, a), "http_req_duration,scenario=default url=\"http://h/a\",value=5 1003\n");
  EXPECT_EQ(line(f, kDuration, 1500, 6, a), "http_req_duration,scenario=default url=\"http://h/a\",value=6 1500\n");
  // An older point (another worker's ring, drained later) keeps its time, unless the series has
  // used it: then it takes the next one free.
  EXPECT_EQ(line(f, kDuration, 900, 7, a), "http_req_duration,scenario=default url=\"http://h/a\",value=7 900\n");
  EXPECT_EQ(line(f, kDuration, 1000, 8, a), "http_req_duration,scenario=default url=\"http://h/a\",value=8 1004\n");
}

TEST(LineProtocol, ATagSetIsRenderedOnceForAllItsRows) {
  lp::Formatter f(url_as_field(), 1'000);
  const MetricInfo reqs{"http_reqs", MetricType::counter, MetricContains::plain};
  std::vector<Tag> tags = {{"scenario", "default"}, {"status", "200"}, {"url", "http://h/a"}};
  std::string out;
  EXPECT_TRUE(f.append(out, SampleRow{&reqs, 1'000, 1, tags.data(), tags.size(), 7, nullptr}));
  EXPECT_TRUE(f.append(out, SampleRow{&kDuration, 2'000, 0.25, tags.data(), tags.size(), 7, nullptr}));
  // A new set: rendered anew, even where the expander reused the array.
  tags[1].value = "500";
  tags[2].value = "http://h/b";
  EXPECT_TRUE(f.append(out, SampleRow{&reqs, 3'000, 1, tags.data(), tags.size(), 8, nullptr}));
  EXPECT_EQ(out,
            "http_reqs,scenario=default,status=200 url=\"http://h/a\",value=1 1\n"
            "http_req_duration,scenario=default,status=200 url=\"http://h/a\",value=0.25 2\n"
            "http_reqs,scenario=default,status=500 url=\"http://h/b\",value=1 3\n");
}

}  // namespace
}  // namespace inferload::output
