// --threshold: where the value splits, what it refuses (one line, exit 104, naming the flag and
// the value), and how thresholds on one metric add up.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "inferload/app/cli.hpp"
#include "inferload/app/threshold_flag.hpp"

namespace inferload::app {
namespace {

using Decls = std::vector<scv2::ThresholdDecl>;

std::string error_of(const std::string& value) {
  try {
    parse_threshold_flag(value);
  } catch (const ExitError& e) {
    EXPECT_EQ(e.code(), kExitInvalidConfig) << value;
    return e.what();
  }
  return "";
}

void expect_decl(const scv2::ThresholdDecl& d, const std::string& metric, const std::vector<std::string>& exprs) {
  EXPECT_EQ(d.metric, metric);
  EXPECT_EQ(d.expressions, exprs);
}

TEST(ThresholdFlag, SplitsAtTheFirstColonAfterTheMetric) {
  expect_decl(parse_threshold_flag("http_req_duration: p(95)<500"), "http_req_duration", {"p(95)<500"});
  expect_decl(parse_threshold_flag("  http_req_failed :rate<0.01 "), "http_req_failed", {"rate<0.01"});
  expect_decl(parse_threshold_flag("http_reqs{scenario:default}: count>=10"), "http_reqs{scenario:default}",
              {"count>=10"});
  // The selector's own ':' are not the separator, even with a ':' in a value.
  expect_decl(parse_threshold_flag("http_req_duration{url:http://x/y,scenario:a} : avg < 5"),
              "http_req_duration{url:http://x/y,scenario:a}", {"avg < 5"});
  expect_decl(parse_threshold_flag("grpc_req_duration{scenario:default}:max>=0"), "grpc_req_duration{scenario:default}",
              {"max>=0"});
}

TEST(ThresholdFlag, RefusesWhatAnOptionsFileWouldRefuse) {
  EXPECT_EQ(error_of("http_req_duration p(95)<500"),
            "--threshold \"http_req_duration p(95)<500\": expected METRIC: EXPRESSION, e.g. 'http_req_duration: "
            "p(95)<500'");
  EXPECT_EQ(error_of("http_req_duration:"), "--threshold \"http_req_duration:\": no expression after ':'");
  EXPECT_EQ(error_of("http_req_duration:   "), "--threshold \"http_req_duration:   \": no expression after ':'");
  EXPECT_EQ(error_of(": p(95)<1"), "--threshold \": p(95)<1\": no metric before ':'");
  EXPECT_EQ(error_of("http_reqs{scenario:a: count>1"),
            "--threshold \"http_reqs{scenario:a: count>1\": the selector after the metric has no closing '}'");
  EXPECT_EQ(error_of("http_reqs{scenario:a} count>1"),
            "--threshold \"http_reqs{scenario:a} count>1\": expected ':' after the selector's '}'");
  EXPECT_EQ(error_of("http_reqs{scenario}: count>1"),
            "--threshold \"http_reqs{scenario}: count>1\": malformed selector '{scenario}' of metric 'http_reqs': "
            "expected {TAG:VALUE} or {TAG:VALUE,TAG:VALUE,...}");
  EXPECT_EQ(error_of("http_req_duration: p(95)<fast"),
            "--threshold \"http_req_duration: p(95)<fast\": invalid threshold expression 'p(95)<fast': 'fast' is "
            "not a number");
  EXPECT_EQ(error_of("http_req_duration: count>1"),
            "--threshold \"http_req_duration: count>1\": invalid threshold expression 'count>1': unsupported "
            "aggregation method 'count' for a trend metric (supported: avg, min, max, med, p(N))");
  const std::string unknown = error_of("http_req_durations: p(95)<500");
  EXPECT_EQ(unknown.rfind("--threshold \"http_req_durations: p(95)<500\": unknown metric 'http_req_durations' "
                          "(inferload reports ",
                          0),
            0u)
      << unknown;
  EXPECT_EQ(unknown.find('\n'), std::string::npos);
}

TEST(ThresholdFlag, ExpressionsOnOneMetricAddUpInOrder) {
  Decls d = {{"http_req_duration{scenario:default}", {"max>=0"}}, {"http_reqs{scenario:default}", {}}};
  add_threshold(d, parse_threshold_flag("http_reqs{scenario:default}: count>1"));
  add_threshold(d, parse_threshold_flag("http_req_duration: p(95)<500"));
  add_threshold(d, parse_threshold_flag("http_req_duration: p(99)<900"));
  add_threshold(d, parse_threshold_flag("http_reqs{scenario:default}: rate>0"));
  ASSERT_EQ(d.size(), 3u);
  expect_decl(d[0], "http_req_duration{scenario:default}", {"max>=0"});
  expect_decl(d[1], "http_reqs{scenario:default}", {"count>1", "rate>0"});
  expect_decl(d[2], "http_req_duration", {"p(95)<500", "p(99)<900"});
}

TEST(ThresholdFlag, IsOnTheRunCommandLineRepeatable) {
  std::vector<std::string> args = {"inferload", "run", "--threshold", "http_req_duration: p(95)<500",
                                   "--threshold=http_reqs: count>0", "infer_constant_vu"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  const CommandLine cl = parse_command_line(static_cast<int>(argv.size()), argv.data());
  ASSERT_EQ(cl.command, Command::run);
  EXPECT_EQ(cl.run.thresholds, (std::vector<std::string>{"http_req_duration: p(95)<500", "http_reqs: count>0"}));
  EXPECT_EQ(cl.run.script, "infer_constant_vu");
}

}  // namespace
}  // namespace inferload::app
