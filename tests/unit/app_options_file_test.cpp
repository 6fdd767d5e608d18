#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "inferload/app/options_file.hpp"

namespace inferload::app {
namespace {

using load::ExecutorKind;
using load::ScenarioConfig;
using load::Stage;
using runtime::kSecond;
constexpr runtime::Nanos kMinute = 60 * kSecond;
constexpr runtime::Nanos kMs = 1'000'000;

const std::string kFile = "configs/x.json";

std::string error_of(const std::string& json) {
  try {
    parse_options_file(json, kFile);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// One scenario `s` of the given executor with extra fields, e.g. scenario("constant-vus", R"("vus": 2)").
std::string scenario(const std::string& executor, const std::string& fields) {
  return R"({"scenarios": {"s": {"executor": ")" + executor + "\"" + (fields.empty() ? "" : ", " + fields) + "}}}";
}
std::string scenario_error(const std::string& executor, const std::string& fields) {
  return error_of(scenario(executor, fields));
}
ScenarioConfig only_scenario(const std::string& executor, const std::string& fields) {
  const OptionsFile f = parse_options_file(scenario(executor, fields), kFile);
  EXPECT_TRUE(f.scenarios.has_value());
  EXPECT_EQ(f.scenarios->size(), 1u);
  return f.scenarios->front();
}

bool same_stages(const std::vector<Stage>& a, const std::vector<Stage>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].duration != b[i].duration || a[i].target != b[i].target) return false;
  }
  return true;
}

TEST(OptionsFile, ScV2StyleScenariosAreParsedExactlyAndInFileOrder) {
  const std::string json = R"({
    "setupTimeout": "6000s",
    "teardownTimeout": "6000s",
    "thresholds": {
      "http_req_duration{scenario:default}": ["max>=0"],
      "http_reqs{scenario:default}": [],
      "grpc_req_duration{scenario:default}": [{"threshold": "max>=0", "abortOnFail": false, "delayAbortEval": "10s"}, "p(95)<500",
                                              {"threshold": "avg<100", "abortOnFail": true, "delayAbortEval": "1m"},
                                              {"threshold": "max<900", "abortOnFail": true}],
      "data_received{scenario:default}": []
    },
    "scenarios": {
      "constant_request_rate": {
        "executor": "constant-arrival-rate", "rate": 10, "timeUnit": "1s", "duration": "30s",
        "preAllocatedVUs": 1, "maxVUs": 1000, "tags": {"kind": "rate"}
      },
      "ramp": {
        "executor": "ramping-vus", "startTime": "30s", "startVUs": 0, "gracefulRampDown": "5s", "exec": "default",
        "stages": [{"duration": "10s", "target": 100}, {"duration": "1m", "target": 100}, {"duration": 10000, "target": 0}]
      }
    }
  })";
  const OptionsFile f = parse_options_file(json, kFile);
  EXPECT_FALSE(f.vus || f.iterations || f.duration || f.stages || f.summary_trend_stats);
  ASSERT_TRUE(f.scenarios);
  ASSERT_EQ(f.scenarios->size(), 2u);

  const ScenarioConfig& rate = (*f.scenarios)[0];
  EXPECT_EQ(rate.name, "constant_request_rate");
  EXPECT_EQ(rate.executor, ExecutorKind::constant_arrival_rate);
  EXPECT_EQ(rate.rate, 10);
  EXPECT_EQ(rate.time_unit, kSecond);
  EXPECT_EQ(rate.duration, 30 * kSecond);
  EXPECT_EQ(rate.pre_allocated_vus, 1);
  EXPECT_EQ(rate.max_vus, 1000);
  EXPECT_EQ(rate.start_time, 0);
  EXPECT_EQ(rate.graceful_stop, 30 * kSecond);
  EXPECT_EQ(rate.tags, (std::map<std::string, std::string>{{"kind", "rate"}}));
  EXPECT_EQ(rate.describe(), "10.00 iterations/s for 30s (maxVUs: 1-1000, gracefulStop: 30s)");

  const ScenarioConfig& ramp = (*f.scenarios)[1];
  EXPECT_EQ(ramp.name, "ramp");
  EXPECT_EQ(ramp.executor, ExecutorKind::ramping_vus);
  EXPECT_EQ(ramp.start_time, 30 * kSecond);
  EXPECT_EQ(ramp.start_vus, 0);
  EXPECT_EQ(ramp.graceful_ramp_down, 5 * kSecond);
  EXPECT_TRUE(same_stages(ramp.stages, {{10 * kSecond, 100}, {kMinute, 100}, {10 * kSecond, 0}}));
  EXPECT_TRUE(ramp.tags.empty());

  using Thresholds = std::vector<std::pair<std::string, std::vector<std::string>>>;
  Thresholds plain;
  for (const auto& t : f.thresholds) plain.emplace_back(t.metric, t.expressions);
  EXPECT_EQ(plain, (Thresholds{{"http_req_duration{scenario:default}", {"max>=0"}},
                               {"http_reqs{scenario:default}", {}},
                               {"grpc_req_duration{scenario:default}", {"max>=0", "p(95)<500", "avg<100", "max<900"}},
                               {"data_received{scenario:default}", {}}}));
  // abortOnFail: the expression's index and its delayAbortEval (-1: none given).
  ASSERT_EQ(f.thresholds[2].aborts.size(), 2u);
  EXPECT_EQ(f.thresholds[2].aborts[0].expression, 2u);
  EXPECT_EQ(f.thresholds[2].aborts[0].delay, kMinute);
  EXPECT_EQ(f.thresholds[2].aborts[1].expression, 3u);
  EXPECT_EQ(f.thresholds[2].aborts[1].delay, -1);
  EXPECT_TRUE(f.thresholds[0].aborts.empty());
}

TEST(OptionsFile, ShortcutsAndTrendStats) {
  const OptionsFile f = parse_options_file(
      R"json({"vus": 0, "iterations": 500, "duration": "2h", "stages": [{"duration": "1d", "target": 3}],
              "summaryTrendStats": ["avg", "p(99.9)"]})json",
      kFile);
  EXPECT_EQ(f.vus, 0);
  EXPECT_EQ(f.iterations, 500u);
  EXPECT_EQ(f.duration, 120 * kMinute);
  ASSERT_TRUE(f.stages);
  EXPECT_TRUE(same_stages(*f.stages, {{24 * 60 * kMinute, 3}}));
  EXPECT_EQ(f.summary_trend_stats, (std::vector<std::string>{"avg", "p(99.9)"}));
  EXPECT_FALSE(f.scenarios);

  const OptionsFile empty = parse_options_file("{}", kFile);
  EXPECT_FALSE(empty.vus || empty.iterations || empty.duration || empty.stages || empty.scenarios);
  EXPECT_TRUE(empty.thresholds.empty());
}

TEST(OptionsFile, DurationsMayBeMillisecondNumbersOrStrings) {
  EXPECT_EQ(parse_options_file(R"({"duration": 1500})", kFile).duration, 1500 * kMs);
  EXPECT_EQ(parse_options_file(R"({"duration": 2.5})", kFile).duration, 2'500'000);
  EXPECT_EQ(parse_options_file(R"({"duration": 1.5e3})", kFile).duration, 1500 * kMs);
  EXPECT_EQ(parse_options_file(R"({"duration": "1500"})", kFile).duration, 1500 * kMs);
  EXPECT_EQ(parse_options_file(R"({"duration": "1d12h"})", kFile).duration, 36 * 60 * kMinute);
  EXPECT_EQ(only_scenario("constant-vus", R"("duration": 60000, "gracefulStop": 0)").graceful_stop, 0);
  EXPECT_EQ(error_of(R"({"duration": -1})"), "configs/x.json: duration: invalid duration \"-1\": must not be negative");
  EXPECT_EQ(error_of(R"({"duration": -0.5})"), "configs/x.json: duration: invalid duration -0.5: must not be negative");
  EXPECT_EQ(error_of(R"({"duration": true})"), "configs/x.json: duration: must be a duration string or a number of milliseconds");
  EXPECT_NE(error_of(R"({"duration": "10 parsecs"})").find("configs/x.json: duration: invalid duration \"10 parsecs\""),
            std::string::npos);
}

TEST(OptionsFile, DefaultsAreK6s) {
  const ScenarioConfig shared = only_scenario("shared-iterations", "");
  EXPECT_EQ(shared.vus, 1);
  EXPECT_EQ(shared.iterations, 1u);
  EXPECT_EQ(shared.duration, 10 * kMinute);
  EXPECT_EQ(shared.graceful_stop, 30 * kSecond);
  EXPECT_EQ(shared.describe(), "1 iterations shared among 1 VUs (maxDuration: 10m0s, gracefulStop: 30s)");

  const ScenarioConfig per_vu = only_scenario("per-vu-iterations", R"("vus": 4)");
  EXPECT_EQ(per_vu.vus, 4);
  EXPECT_EQ(per_vu.iterations, 1u);
  EXPECT_EQ(per_vu.duration, 10 * kMinute);

  const ScenarioConfig ramp = only_scenario("ramping-vus", R"("stages": [{"duration": "10s", "target": 5}])");
  EXPECT_EQ(ramp.start_vus, 1);
  EXPECT_EQ(ramp.graceful_ramp_down, 30 * kSecond);

  const ScenarioConfig rate = only_scenario("constant-arrival-rate", R"("rate": 5, "duration": "1m", "preAllocatedVUs": 3)");
  EXPECT_EQ(rate.time_unit, kSecond);
  EXPECT_EQ(rate.max_vus, 3);

  const ScenarioConfig ramping_rate = only_scenario(
      "ramping-arrival-rate", R"("stages": [{"duration": "1m", "target": 60}], "preAllocatedVUs": 2, "timeUnit": "1m")");
  EXPECT_EQ(ramping_rate.rate, 0);
  EXPECT_EQ(ramping_rate.time_unit, kMinute);
  EXPECT_EQ(ramping_rate.max_vus, 2);
  EXPECT_EQ(only_scenario("ramping-arrival-rate", R"("startRate": 7, "stages": [{"duration": 0, "target": 1}], "preAllocatedVUs": 0)").rate, 7);
}

TEST(OptionsFileErrors, JsonSyntaxNamesTheLine) {
  EXPECT_EQ(error_of("{\n  \"vus\": 1,\n  \"iterations\": 2,,\n}"), "configs/x.json: line 3: syntax error");
  EXPECT_EQ(error_of("{\"vus\": 1"), "configs/x.json: line 1: incomplete JSON");
  EXPECT_EQ(error_of("// k6 has no comments\n{}").rfind("configs/x.json: line 1: ", 0), 0u);
  EXPECT_EQ(error_of("[1, 2]"), "configs/x.json: the options must be a JSON object");
}

TEST(OptionsFileErrors, DuplicateKeysAreRefused) {
  EXPECT_EQ(error_of(R"({"vus": 1, "vus": 2})"), "configs/x.json: \"vus\" is given twice");
  EXPECT_EQ(error_of(R"({"scenarios": {"a": {"executor": "shared-iterations"}, "a": {"executor": "constant-vus"}}})"),
            "configs/x.json: scenarios: \"a\" is given twice");
  EXPECT_EQ(error_of(R"({"stages": [{"duration": "1s", "target": 1}, {"target": 1, "target": 2}]})"),
            "configs/x.json: stages[1]: \"target\" is given twice");
  // The same key in different objects is no duplicate.
  EXPECT_EQ(error_of(R"({"stages": [{"duration": "1s", "target": 1}, {"duration": "1s", "target": 2}]})"), "");
}

TEST(OptionsFileErrors, TopLevelKeys) {
  EXPECT_EQ(error_of(R"({"vu": 1})"), "configs/x.json: vu: unknown option");
  EXPECT_EQ(error_of(R"({"noSetup": true, "userAgent": "x", "rps": 5, "hosts": {}, "tags": {"a": "b"},
                         "discardResponseBodies": true, "summaryTimeUnit": "ms", "throw": true})"),
            "");
  EXPECT_EQ(error_of(R"({"scenarios": {}})"), "configs/x.json: scenarios: no scenario");
  EXPECT_EQ(error_of(R"({"scenarios": []})"), "configs/x.json: scenarios: must be an object");
  EXPECT_EQ(error_of(R"({"summaryTrendStats": ["avg", 3]})"), "configs/x.json: summaryTrendStats[1]: must be a string");
  EXPECT_EQ(error_of(R"({"stages": [{"duration": "1s"}]})"), "configs/x.json: stages[0]: target is required");
  EXPECT_EQ(error_of(R"({"stages": [{"duration": "1s", "target": 1, "x": 1}]})"),
            "configs/x.json: stages[0].x: unknown field of a stage");
}

TEST(OptionsFile, ExecutionSegmentKeys) {
  const OptionsFile f =
      parse_options_file(R"({"executionSegment": "1/3:2/3", "executionSegmentSequence": "0,1/3,2/3,1"})", kFile);
  ASSERT_TRUE(f.execution_segment && f.execution_segment_sequence);
  EXPECT_EQ(load::to_string(*f.execution_segment), "1/3:2/3");
  EXPECT_EQ(load::sequence_to_string(*f.execution_segment_sequence), "0,1/3,2/3,1");
  EXPECT_EQ(error_of(R"({"executionSegment": "1/2:1/4"})"),
            "configs/x.json: executionSegment: segment start(0.50) must be less than its end(0.25)");
  EXPECT_EQ(error_of(R"({"executionSegmentSequence": "0"})"),
            "configs/x.json: executionSegmentSequence: at least 2 points are needed for an execution segment "
            "sequence, 1 given");
  EXPECT_EQ(error_of(R"({"executionSegment": 0.5})"), "configs/x.json: executionSegment: must be a string");
}

TEST(OptionsFileErrors, Thresholds) {
  EXPECT_EQ(error_of(R"({"thresholds": {"http_req_failed": [{"threshold": "rate<0.01", "abortOnFail": 1}]}})"),
            "configs/x.json: thresholds.http_req_failed[0].abortOnFail: must be true or false");
  EXPECT_EQ(error_of(R"({"thresholds": {"http_reqs": "count>0"}})"), "configs/x.json: thresholds.http_reqs: must be an array");
  EXPECT_EQ(error_of(R"({"thresholds": {"http_reqs": [{"abortOnFail": false}]}})"),
            "configs/x.json: thresholds.http_reqs[0]: threshold is required");
  EXPECT_EQ(error_of(R"({"thresholds": {"http_reqs": [7]}})"),
            "configs/x.json: thresholds.http_reqs[0]: must be a string or an object");
  EXPECT_EQ(error_of(R"({"thresholds": {"http_reqs": ["count>1"], "http_req_duration": ["p(95)<x"]}})"),
            "configs/x.json: thresholds.http_req_duration: invalid threshold expression 'p(95)<x': 'x' is not a number");
  EXPECT_EQ(error_of(R"({"thresholds": {"http_req_duration": ["count>1"]}})"),
            "configs/x.json: thresholds.http_req_duration: invalid threshold expression 'count>1': unsupported "
            "aggregation method 'count' for a trend metric (supported: avg, min, max, med, p(N))");
  EXPECT_EQ(error_of(R"({"thresholds": {"http_reqs{scenario}": []}})"),
            "configs/x.json: thresholds.http_reqs{scenario}: malformed selector '{scenario}' of metric 'http_reqs': "
            "expected {TAG:VALUE} or {TAG:VALUE,TAG:VALUE,...}");
  const std::string unknown = error_of(R"({"thresholds": {"my_metric": ["count>0"]}})");
  EXPECT_EQ(unknown.rfind("configs/x.json: thresholds.my_metric: unknown metric 'my_metric' (inferload reports ", 0), 0u)
      << unknown;
}

TEST(OptionsFileErrors, Numbers) {
  EXPECT_EQ(error_of(R"({"vus": 1.5})"), "configs/x.json: vus: 1.5 is not a whole number");
  EXPECT_EQ(error_of(R"({"vus": "5"})"), "configs/x.json: vus: must be a number");
  EXPECT_EQ(error_of(R"({"vus": -1})"), "configs/x.json: vus: can't be negative");
  EXPECT_EQ(error_of(R"({"vus": 1000001})"), "configs/x.json: vus: 1000001 is out of range (allowed: 0 to 1000000)");
  EXPECT_EQ(error_of(R"({"vus": 1e20})"), "configs/x.json: vus: 1e+20 is out of range (allowed: 0 to 1000000)");
  EXPECT_EQ(error_of(R"({"vus": 4294967297})"), "configs/x.json: vus: 4294967297 is out of range (allowed: 0 to 1000000)");
  EXPECT_EQ(error_of(R"({"iterations": 9223372036854775808})"),
            "configs/x.json: iterations: 9223372036854775808 is out of range (allowed: 0 to 9223372036854775807)");
  EXPECT_EQ(parse_options_file(R"({"iterations": 9223372036854775807})", kFile).iterations, 9223372036854775807u);
  EXPECT_EQ(parse_options_file(R"({"vus": 3.0})", kFile).vus, 3);
  EXPECT_EQ(scenario_error("constant-vus", R"("vus": 0, "duration": "1s")"), "configs/x.json: scenarios.s.vus: must be more than 0");
  EXPECT_EQ(scenario_error("constant-arrival-rate", R"("rate": 1000000001, "duration": "1s", "preAllocatedVUs": 1)"),
            "configs/x.json: scenarios.s.rate: 1000000001 is out of range (allowed: 1 to 1000000000)");
  EXPECT_EQ(scenario_error("ramping-vus", R"("stages": [{"duration": "1s", "target": 1000001}])"),
            "configs/x.json: scenarios.s.stages[0].target: 1000001 is out of range (allowed: 0 to 1000000)");
  EXPECT_EQ(scenario_error("ramping-arrival-rate", R"("stages": [{"duration": "1s", "target": 100000001}], "preAllocatedVUs": 1)"),
            "configs/x.json: scenarios.s.stages[0].target: 100000001 is out of range (allowed: 0 to 100000000)");
}

TEST(OptionsFileErrors, ScenarioFields) {
  EXPECT_EQ(error_of(R"({"scenarios": {"s": {"vus": 1}}})"), "configs/x.json: scenarios.s: executor is required");
  EXPECT_EQ(error_of(R"({"scenarios": {"s": 1}})"), "configs/x.json: scenarios.s: must be an object");
  EXPECT_EQ(scenario_error("looping-vus", ""), "configs/x.json: scenarios.s.executor: unknown executor type 'looping-vus'");
  EXPECT_EQ(scenario_error("externally-controlled", ""),
            "configs/x.json: scenarios.s.executor: externally-controlled is not supported");
  EXPECT_EQ(scenario_error("constant-vus", R"("duration": "1s", "rate": 5)"),
            "configs/x.json: scenarios.s.rate: unknown field of a constant-vus scenario");
  EXPECT_EQ(scenario_error("shared-iterations", R"("duration": "1s")"),
            "configs/x.json: scenarios.s.duration: unknown field of a shared-iterations scenario");
  EXPECT_EQ(scenario_error("ramping-arrival-rate", R"("rate": 5, "stages": [], "preAllocatedVUs": 1)"),
            "configs/x.json: scenarios.s.rate: unknown field of a ramping-arrival-rate scenario");
  EXPECT_EQ(scenario_error("constant-vus", R"("duration": "1s", "exec": "infer")"),
            "configs/x.json: scenarios.s.exec: function 'infer' not found in exports");
  EXPECT_EQ(scenario_error("constant-vus", R"("duration": "1s", "env": {"A": "1"})"),
            "configs/x.json: scenarios.s.env: env is not supported");
  EXPECT_EQ(scenario_error("constant-vus", R"("duration": "1s", "env": {})"), "");
  EXPECT_EQ(scenario_error("constant-vus", R"("duration": "1s", "tags": {"a": 1})"),
            "configs/x.json: scenarios.s.tags.a: must be a string");
  EXPECT_EQ(scenario_error("constant-vus", R"("duration": "1s", "options": {"browser": {"type": "chromium"}})"), "");
}

TEST(OptionsFileErrors, RequiredFields) {
  EXPECT_EQ(scenario_error("constant-vus", ""), "configs/x.json: scenarios.s: duration is required");
  EXPECT_EQ(scenario_error("ramping-vus", ""), "configs/x.json: scenarios.s: stages is required");
  EXPECT_EQ(scenario_error("constant-arrival-rate", R"("duration": "1s", "preAllocatedVUs": 1)"),
            "configs/x.json: scenarios.s: rate is required");
  EXPECT_EQ(scenario_error("constant-arrival-rate", R"("rate": 1, "preAllocatedVUs": 1)"),
            "configs/x.json: scenarios.s: duration is required");
  EXPECT_EQ(scenario_error("constant-arrival-rate", R"("rate": 1, "duration": "1s")"),
            "configs/x.json: scenarios.s: preAllocatedVUs is required");
  EXPECT_EQ(scenario_error("ramping-arrival-rate", R"("stages": [])"),
            "configs/x.json: scenarios.s: preAllocatedVUs is required");
}

TEST(OptionsFileErrors, ExecutorValidationNamesTheScenario) {
  EXPECT_EQ(scenario_error("constant-arrival-rate", R"("rate": 0, "duration": "1s", "preAllocatedVUs": 1)"),
            "configs/x.json: scenarios.s.rate: must be more than 0");
  EXPECT_EQ(scenario_error("constant-arrival-rate", R"("rate": 1, "duration": "1s", "preAllocatedVUs": 5, "maxVUs": 3)"),
            "configs/x.json: scenarios.s: maxVUs (3) can't be less than preAllocatedVUs (5)");
  EXPECT_EQ(scenario_error("constant-arrival-rate", R"("rate": 1, "duration": "1s", "preAllocatedVUs": 1, "timeUnit": 0)"),
            "configs/x.json: scenarios.s.timeUnit: must be more than 0");
  EXPECT_EQ(scenario_error("shared-iterations", R"("vus": 5, "iterations": 4)"),
            "configs/x.json: scenarios.s: the number of iterations (4) can't be less than the number of VUs (5)");
  EXPECT_EQ(scenario_error("per-vu-iterations", R"("iterations": 0)"), "configs/x.json: scenarios.s.iterations: must be more than 0");
  EXPECT_EQ(scenario_error("per-vu-iterations", R"("maxDuration": "500ms")"),
            "configs/x.json: scenarios.s: the maxDuration (500ms) must be at least 1s");
  EXPECT_EQ(scenario_error("constant-vus", R"("duration": 999)"), "configs/x.json: scenarios.s: the duration (999ms) must be at least 1s");
  EXPECT_EQ(scenario_error("ramping-vus", R"("stages": [])"),
            "configs/x.json: scenarios.s: stages: at least one stage has to be specified");
  EXPECT_EQ(scenario_error("ramping-vus", R"("startVUs": 0, "stages": [{"duration": "1s", "target": 0}])"),
            "configs/x.json: scenarios.s: either startVUs or one of the stages' target values must be greater than 0");
  EXPECT_EQ(scenario_error("ramping-arrival-rate", R"("stages": [], "preAllocatedVUs": 1)"),
            "configs/x.json: scenarios.s: stages: at least one stage has to be specified");
  EXPECT_EQ(error_of(R"({"scenarios": {"a b": {"executor": "shared-iterations"}}})"),
            "configs/x.json: scenarios.a b: the scenario name \"a b\" should contain only numbers, latin letters, "
            "underscores, and dashes");
}

TEST(LoadOptionsFile, ReadsTheFileAndNamesItInErrors) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("il_options_file_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "k6.json").string();
  {
    std::ofstream(path) << R"({"vus": 7, "duration": "1m"})";
  }
  const OptionsFile f = load_options_file(path);
  EXPECT_EQ(f.vus, 7);
  EXPECT_EQ(f.duration, kMinute);
  {
    std::ofstream(path) << R"({"vus": "7"})";
  }
  try {
    load_options_file(path);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), path + ": vus: must be a number");
  }

  const std::string missing = (dir / "missing.json").string();
  try {
    load_options_file(missing);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), missing + ": can't open: No such file or directory");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace inferload::app
