// The suite's config object as k6 writes it for setup_data: its keys in order, the values the
// suite keeps as written as strings, converted ones as numbers, and the derived rate stages.
#include <gtest/gtest.h>

#include <map>

#include "inferload/scv2/k6_config.hpp"

using namespace inferload;
using V = scv2::ConfigValue;

namespace {

scv2::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const V& member(const V& object, const std::string& key) {
  for (const auto& [k, v] : object.members)
    if (k == key) return v;
  ADD_FAILURE() << "no member " << key;
  static const V none;
  return none;
}

V config(std::map<std::string, std::string> vars) {
  const scv2::EnvLookup env = env_of(std::move(vars));
  return scv2::k6_config(scv2::load_settings(env), env);
}

}  // namespace

TEST(K6Config, DefaultsHaveTheSuitesTypes) {
  const V c = config({});
  ASSERT_EQ(c.kind, V::Kind::object);
  EXPECT_EQ(c.members.front().first, "useKubeControlPlane");
  EXPECT_EQ(c.members.back().first, "sleepBetweenModelReplicaChange");
  EXPECT_EQ(member(c, "inferHttpIterations").kind, V::Kind::number);
  EXPECT_EQ(member(c, "inferHttpIterations").number, 1);
  EXPECT_EQ(member(c, "constantRateDurationSeconds").number, 30);
  const V& memory = member(c, "modelMemoryBytes");
  ASSERT_EQ(memory.items.size(), 1u);
  EXPECT_EQ(memory.items[0].kind, V::Kind::number);  // unset: the number 0, not the catalogue's 20000
  EXPECT_EQ(memory.items[0].number, 0);
  EXPECT_EQ(member(c, "requestIDPrefix").kind, V::Kind::null);
  EXPECT_TRUE(member(c, "loadModel").boolean);
  EXPECT_TRUE(member(c, "isEnvoy").boolean);
  EXPECT_EQ(member(member(member(c, "replicas"), "inferenceServer"), "actual").number, 1);
}

TEST(K6Config, ValuesTheSuiteKeepsAsWrittenStayStrings) {
  const V c = config({{"INFER_HTTP_ITERATIONS", "2"}, {"MODEL_TYPE", "iris,tfsimple"},
                      {"MODEL_MEMORY_BYTES", "3M,400k"}, {"CONSTANT_RATE_DURATION_SECONDS", "60"},
                      {"SKIP_LOAD_MODEL", "false"}, {"REQUEST_ID_PREFIX", "perf"}});
  EXPECT_EQ(member(c, "inferHttpIterations").kind, V::Kind::string);
  EXPECT_EQ(member(c, "inferHttpIterations").text, "2");
  const V& memory = member(c, "modelMemoryBytes");
  ASSERT_EQ(memory.items.size(), 2u);
  EXPECT_EQ(memory.items[0].text, "3M");
  EXPECT_EQ(memory.items[1].text, "400k");
  EXPECT_EQ(member(c, "constantRateDurationSeconds").text, "60");
  EXPECT_FALSE(member(c, "loadModel").boolean);  // a presence flag: "false" skips too
  EXPECT_EQ(member(c, "requestIDPrefix").text, "perf");
  EXPECT_EQ(member(c, "maxNumModels").items.size(), 2u);
}

TEST(K6Config, RateStagesAndHoldsFromRequestRates) {
  const V c = config({{"REQUEST_RATES", "10,70"}, {"CONSTANT_RATE_DURATIONS_SECONDS", "120,7"}});
  const V& stages = member(c, "rateStages");
  ASSERT_EQ(stages.items.size(), 4u);
  EXPECT_EQ(member(stages.items[0], "duration").text, "40s");  // ceil(120 / 3)
  EXPECT_EQ(member(stages.items[0], "target").number, 10);
  EXPECT_EQ(member(stages.items[1], "duration").text, "120s");
  EXPECT_EQ(member(stages.items[2], "duration").text, "3s");   // ceil(7 / 3)
  EXPECT_EQ(member(stages.items[3], "duration").text, "7s");
  const V& holds = member(c, "constantRateDurationsSeconds");
  ASSERT_EQ(holds.items.size(), 2u);
  EXPECT_EQ(holds.items[0].number, 120);
  EXPECT_EQ(holds.items[1].number, 7);
  // An even split may be fractional, as the suite's `value + 's'` writes it.
  const V split = config({{"REQUEST_RATES", "10,20"}, {"CONSTANT_RATE_DURATION_SECONDS", "15"}});
  EXPECT_EQ(member(member(split, "rateStages").items[1], "duration").text, "7.5s");
}
