// The open-loop scripts of the suite: their own scenarios from the env vars (rateStages included,
// with its padding defect), their settings, and model_constant_rate's model range.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "inferload/net/endpoint.hpp"
#include "inferload/scv2/catalogue.hpp"
#include "inferload/scv2/grpc_targets.hpp"
#include "inferload/scv2/scripts.hpp"
#include "inferload/scv2/settings.hpp"
#include "inferload/scv2/targets.hpp"

using namespace inferload;

namespace {

constexpr runtime::Nanos s = runtime::kSecond;
using Stages = std::vector<std::pair<runtime::Nanos, std::int64_t>>;

scv2::Settings settings(std::map<std::string, std::string> vars) {
  return scv2::load_settings([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(RateSettings, DefaultsAreTheSuites) {
  const scv2::Settings st = settings({});
  EXPECT_EQ(st.request_rate, 10);
  EXPECT_EQ(st.request_rates, std::vector<std::int64_t>{10});
  EXPECT_FALSE(st.request_rates_set);
  EXPECT_EQ(st.constant_rate_duration, 30 * s);
  EXPECT_FALSE(st.constant_rate_durations_seconds);
  EXPECT_EQ(st.infer_type, "REST");
  EXPECT_EQ(st.model_start_idx, 0);
  EXPECT_EQ(st.model_end_idx, 0);
  EXPECT_EQ(st.model_name, "");
  // REQUEST_RATES defaults to [REQUEST_RATE].
  EXPECT_EQ(settings({{"REQUEST_RATE", "20"}}).request_rates, std::vector<std::int64_t>{20});
}

TEST(RateSettings, DurationsMayBeFractional) {
  EXPECT_EQ(settings({{"CONSTANT_RATE_DURATION_SECONDS", "7.5"}}).constant_rate_duration, 7 * s + s / 2);
  EXPECT_EQ(settings({{"CONSTANT_RATE_DURATION_SECONDS", "0.001"}}).constant_rate_duration, runtime::kMillisecond);
  EXPECT_EQ(settings({{"CONSTANT_RATE_DURATION_SECONDS", "60"}}).constant_rate_duration, 60 * s);
  EXPECT_EQ(settings({{"CONSTANT_RATE_DURATION_SECONDS", ".5"}}).constant_rate_duration, s / 2);
}

TEST(RateSettings, BadValuesNameTheVariable) {
  auto starts_with = [](const std::map<std::string, std::string>& env, const std::string& prefix) {
    const std::string m = message_of([&] { settings(env); });
    EXPECT_EQ(m.rfind(prefix, 0), 0u) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  };
  starts_with({{"REQUEST_RATE", "fast"}}, "REQUEST_RATE: ");
  starts_with({{"REQUEST_RATE", "-1"}}, "REQUEST_RATE: ");
  starts_with({{"REQUEST_RATES", "10,x"}}, "REQUEST_RATES: ");
  starts_with({{"CONSTANT_RATE_DURATION_SECONDS", "30s"}}, "CONSTANT_RATE_DURATION_SECONDS: ");
  starts_with({{"CONSTANT_RATE_DURATION_SECONDS", "."}}, "CONSTANT_RATE_DURATION_SECONDS: ");
  starts_with({{"CONSTANT_RATE_DURATION_SECONDS", "-2"}}, "CONSTANT_RATE_DURATION_SECONDS: ");
  starts_with({{"CONSTANT_RATE_DURATIONS_SECONDS", "1.5"}}, "CONSTANT_RATE_DURATIONS_SECONDS: ");
  starts_with({{"MODEL_START_IDX", "a"}}, "MODEL_START_IDX: ");
  starts_with({{"MODEL_END_IDX", "-3"}}, "MODEL_END_IDX: ");
}

TEST(RateStages, TheK6YamlExample) {
  const scv2::Settings st = settings({{"REQUEST_RATES", "10,70,10,50,20"},
                                      {"CONSTANT_RATE_DURATIONS_SECONDS", "120,120,400,120,400"}});
  const Stages expected = {{40 * s, 10},  {120 * s, 10}, {40 * s, 70},  {120 * s, 70},  {134 * s, 10},
                           {400 * s, 10}, {40 * s, 50},  {120 * s, 50}, {134 * s, 20}, {400 * s, 20}};
  EXPECT_EQ(scv2::rate_stages(st), expected);
}

TEST(RateStages, ALongerDurationListIsTruncated) {
  const scv2::Settings st = settings({{"REQUEST_RATES", "10,20"}, {"CONSTANT_RATE_DURATIONS_SECONDS", "3,6,9"}});
  EXPECT_EQ(scv2::rate_stages(st), (Stages{{1 * s, 10}, {3 * s, 10}, {2 * s, 20}, {6 * s, 20}}));
}

TEST(RateStages, WithoutDurationsTheTotalIsSplitEvenly) {
  const scv2::Settings st = settings({{"REQUEST_RATES", "10,20,30,40"}});  // 30 s / 4 = 7.5 s
  const runtime::Nanos d = 7 * s + s / 2;
  EXPECT_EQ(scv2::rate_stages(st),
            (Stages{{3 * s, 10}, {d, 10}, {3 * s, 20}, {d, 20}, {3 * s, 30}, {d, 30}, {3 * s, 40}, {d, 40}}));
}

TEST(RateStages, AShorterDurationListFallsThroughToTheEvenSplit) {
  // The suite pads the list with its last value but does not return it.
  const scv2::Settings st = settings({{"REQUEST_RATES", "10,20,30"},
                                      {"CONSTANT_RATE_DURATIONS_SECONDS", "60,60"},
                                      {"CONSTANT_RATE_DURATION_SECONDS", "10"}});
  const runtime::Nanos d = 10 * s / 3;  // 3.333333333 s; ceil(d / 3) = 2 s
  EXPECT_EQ(scv2::rate_stages(st), (Stages{{2 * s, 10}, {d, 10}, {2 * s, 20}, {d, 20}, {2 * s, 30}, {d, 30}}));
}

TEST(RateStages, FractionalTotalSplitsExactly) {
  const scv2::Settings st = settings({{"REQUEST_RATES", "8,16"}, {"CONSTANT_RATE_DURATION_SECONDS", "4.5"}});
  const runtime::Nanos d = 2 * s + s / 4;  // 2.25 s; ceil(0.75) = 1 s
  EXPECT_EQ(scv2::rate_stages(st), (Stages{{1 * s, 8}, {d, 8}, {1 * s, 16}, {d, 16}}));
}

TEST(RateStages, WithoutRatesOneRampFromFiveToTheRate) {
  EXPECT_EQ(scv2::rate_stages(settings({})), (Stages{{30 * s, 10}}));
  EXPECT_EQ(scv2::rate_stages(settings({{"REQUEST_RATE", "20"}, {"CONSTANT_RATE_DURATION_SECONDS", "60"},
                                        {"CONSTANT_RATE_DURATIONS_SECONDS", "5,5"}})),
            (Stages{{60 * s, 20}}));
}

TEST(Scripts, FoundByNameOrPath) {
  for (const char* name : {"infer_constant_rate", "infer_multiple_rates", "model_constant_rate"}) {
    EXPECT_EQ(scv2::find_script(name).name, name);
    EXPECT_EQ(scv2::find_script(std::string("scenarios/") + name + ".js").name, name);
  }
}

TEST(Scripts, TheirOwnScenarios) {
  const scv2::Settings st = settings({{"REQUEST_RATE", "20"}, {"CONSTANT_RATE_DURATION_SECONDS", "60"}});
  for (const char* name : {"infer_constant_rate", "model_constant_rate"}) {
    const auto sc = scv2::script_scenario(scv2::find_script(name), st);
    ASSERT_TRUE(sc) << name;
    EXPECT_EQ(sc->name, "constant_request_rate");
    EXPECT_EQ(sc->executor, scv2::ScriptScenario::Executor::constant_arrival_rate);
    EXPECT_EQ(sc->rate, 20);
    EXPECT_EQ(sc->duration, 60 * s);
    EXPECT_EQ(sc->pre_allocated_vus, 1);
    EXPECT_EQ(sc->max_vus, 1000);
    EXPECT_EQ(sc->graceful_stop, 30 * s);
  }
  const auto r = scv2::script_scenario(scv2::find_script("infer_multiple_rates"), st);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "ramping_request_rates");
  EXPECT_EQ(r->executor, scv2::ScriptScenario::Executor::ramping_arrival_rate);
  EXPECT_EQ(r->start_rate, 5);
  EXPECT_EQ(r->stages, (Stages{{60 * s, 20}}));
  EXPECT_EQ(r->pre_allocated_vus, 50);
  EXPECT_EQ(r->max_vus, 1000);
  EXPECT_FALSE(scv2::script_scenario(scv2::find_script("infer_constant_vu"), st));
}

TEST(Scripts, ThresholdsAndRules) {
  EXPECT_EQ(scv2::find_script("infer_constant_rate").thresholds.size(), 5u);
  EXPECT_EQ(scv2::find_script("infer_multiple_rates").thresholds.size(), 5u);
  EXPECT_TRUE(scv2::find_script("model_constant_rate").thresholds.empty());
  EXPECT_EQ(scv2::find_script("infer_constant_rate").protocol, scv2::ProtocolRule::infer_type);
  EXPECT_EQ(scv2::find_script("model_constant_rate").protocol, scv2::ProtocolRule::infer_type);
  EXPECT_EQ(scv2::find_script("infer_multiple_rates").protocol, scv2::ProtocolRule::enabled_iterations);
  EXPECT_EQ(scv2::find_script("model_constant_rate").calls_per_iteration, 1);
  EXPECT_TRUE(scv2::find_script("model_constant_rate").grpc_connection_per_iteration);
  EXPECT_FALSE(scv2::find_script("infer_constant_rate").grpc_connection_per_iteration);
}

// Every name model_constant_rate's table can send, drawn many times.
std::set<std::string> names_picked(const scv2::Settings& st) {
  const scv2::TargetTable table(st, net::parse_http_url("http://h:9000"),
                                scv2::script_models(scv2::find_script("model_constant_rate"), st));
  scv2::Rng rng(42);
  std::set<std::string> names;
  for (int i = 0; i < 20000; ++i) names.insert(table.name(table.pick(rng)));
  return names;
}

TEST(ModelRange, TheDefaultEndIsTheLastModelNotOnePast) {
  EXPECT_EQ(names_picked(settings({})), (std::set<std::string>{"iris0"}));
  EXPECT_EQ(names_picked(settings({{"MAX_NUM_MODELS", "3"}})), (std::set<std::string>{"iris0", "iris1", "iris2"}));
  EXPECT_EQ(names_picked(settings({{"MAX_NUM_MODELS", "3"}, {"MODEL_START_IDX", "2"}})), (std::set<std::string>{"iris2"}));
}

TEST(ModelRange, AnExplicitEndIsInclusiveAndNotBoundByMaxNumModels) {
  EXPECT_EQ(names_picked(settings({{"MODEL_START_IDX", "5"}, {"MODEL_END_IDX", "7"}})),
            (std::set<std::string>{"iris5", "iris6", "iris7"}));
  EXPECT_EQ(names_picked(settings({{"MODEL_START_IDX", "9"}, {"MODEL_END_IDX", "9"}, {"ENVOY", "false"}})),
            (std::set<std::string>{"iris9_1"}));
}

TEST(ModelRange, OnlyTypeZero) {
  EXPECT_EQ(names_picked(settings({{"MODEL_TYPE", "tfsimple,iris"}, {"MAX_NUM_MODELS", "2,5"}})),
            (std::set<std::string>{"tfsimple0", "tfsimple1"}));
}

TEST(ModelRange, ManyModelsAreEncodedWhenPicked) {
  const scv2::Settings st = settings({{"MODEL_START_IDX", "1000"}, {"MODEL_END_IDX", "99999"}});
  const scv2::TargetTable table(st, net::parse_http_url("http://h:9000"),
                                scv2::script_models(scv2::find_script("model_constant_rate"), st));
  scv2::RestRequestBuffer buffer(table);
  scv2::Rng rng(7);
  for (int i = 0; i < 5000; ++i) {
    const scv2::ModelPick m = table.pick(rng);
    const std::string name = table.name(m);
    const long long n = std::stoll(name.substr(4));
    ASSERT_GE(n, 1000);
    ASSERT_LE(n, 99999);
    const std::string& head = table.rest(m, buffer).head;
    ASSERT_NE(head.find("POST /v2/models/" + name + "/infer HTTP/1.1\r\n"), std::string::npos) << head;
    ASSERT_NE(head.find("seldon-model: " + name + "\r\n"), std::string::npos) << head;
  }
}

TEST(ModelRange, AFixedNameReplacesTheRange) {
  const scv2::Settings st = settings({{"MODEL_NAME", "my-model"}, {"MAX_NUM_MODELS", "3"}, {"MODEL_END_IDX", "9"}});
  EXPECT_EQ(names_picked(st), (std::set<std::string>{"my-model"}));
  const scv2::TargetTable table(st, net::parse_http_url("http://h:9000"),
                                scv2::script_models(scv2::find_script("model_constant_rate"), st));
  scv2::RestRequestBuffer buffer(table);
  const http1::RequestTemplate& r = table.rest({0, 0}, buffer);
  EXPECT_EQ(r.head.rfind("POST /v2/models/my-model/infer HTTP/1.1\r\n", 0), 0u) << r.head;
  EXPECT_EQ(*r.body, scv2::rest_payload("iris", 1));
  // The gRPC request is built once too, with the same name.
  const scv2::GrpcTargetTable grpc(st, table, "h:9000", runtime::kSecond);
  scv2::GrpcRequestBuffer gbuf(grpc);
  const grpc::RequestBytes g = grpc.request({0, 0}, gbuf);
  const std::string head(g.body[0].data, g.body[0].size);
  EXPECT_NE(head.find("my-model"), std::string::npos);
  EXPECT_EQ(names_picked(settings({{"MODEL_NAME", "fixed"}, {"ENVOY", "false"}})), (std::set<std::string>{"fixed_1"}));
}

TEST(ModelRange, AStartAboveTheEndIsRefusedNamingTheVariables) {
  const scv2::Script& model = scv2::find_script("model_constant_rate");
  const std::string explicit_end =
      message_of([&] { scv2::script_models(model, settings({{"MODEL_START_IDX", "5"}, {"MODEL_END_IDX", "3"}})); });
  EXPECT_EQ(explicit_end.rfind("MODEL_START_IDX: ", 0), 0u) << explicit_end;
  EXPECT_NE(explicit_end.find("MODEL_END_IDX"), std::string::npos) << explicit_end;
  const std::string default_end = message_of([&] { scv2::script_models(model, settings({{"MODEL_START_IDX", "1"}})); });
  EXPECT_EQ(default_end.rfind("MODEL_START_IDX: ", 0), 0u) << default_end;
  EXPECT_NE(default_end.find("MAX_NUM_MODELS"), std::string::npos) << default_end;
  // The infer_* scripts ignore the range.
  EXPECT_FALSE(scv2::script_models(scv2::find_script("infer_constant_rate"),
                                   settings({{"MODEL_START_IDX", "5"}, {"MODEL_END_IDX", "3"}}))
                   .type0_only);
}

}  // namespace

namespace {

using scv2::IterationKind;

TEST(LifecycleScripts, FoundByNameOrPath) {
  const std::map<std::string, IterationKind> kinds = {
      {"load_predict_unload", IterationKind::model_lifecycle},
      {"pipeline", IterationKind::pipeline_lifecycle},
      {"experiment", IterationKind::experiment_lifecycle},
      {"predict_agent_oc", IterationKind::every_model_grpc},
  };
  for (const auto& [name, kind] : kinds) {
    EXPECT_EQ(scv2::find_script(name).name, name);
    EXPECT_EQ(scv2::find_script("scenarios/" + name + ".js").name, name);
    EXPECT_EQ(scv2::find_script("tests/k6/scenarios/" + name + ".js").iteration, kind);
    EXPECT_TRUE(scv2::find_script(name).needs_kubernetes.empty()) << name;
  }
}

TEST(LifecycleScripts, DeclareNoOptions) {
  const scv2::Settings st = settings({});
  for (const char* name : {"load_predict_unload", "pipeline", "experiment"}) {
    const scv2::Script& s = scv2::find_script(name);
    EXPECT_TRUE(scv2::is_lifecycle(s.iteration)) << name;
    // No duration and no scenario of their own: -u, -i and -d drive them.
    EXPECT_EQ(s.duration, 0) << name;
    EXPECT_FALSE(scv2::script_scenario(s, st)) << name;
    EXPECT_TRUE(s.thresholds.empty()) << name;
    // No setupBase: each iteration loads and unloads itself.
    EXPECT_FALSE(s.loads_models) << name;
    EXPECT_EQ(s.setup_timeout, 60 * runtime::kSecond) << name;
    EXPECT_EQ(s.protocol, scv2::ProtocolRule::in_turn) << name;
    EXPECT_EQ(s.models, scv2::ModelRule::per_iteration) << name;
    EXPECT_TRUE(s.grpc_connection_per_iteration) << name;
    EXPECT_EQ(s.check_name, "model http prediction success");
    EXPECT_EQ(s.grpc_check_name, "model grpc prediction success");
  }
  EXPECT_FALSE(scv2::is_lifecycle(scv2::find_script("predict_agent_oc").iteration));
  EXPECT_FALSE(scv2::is_lifecycle(scv2::find_script("infer_constant_vu").iteration));
}

TEST(LifecycleScripts, PredictAgentOcHasItsOptionsAndSetupBase) {
  const scv2::Script& s = scv2::find_script("predict_agent_oc");
  EXPECT_EQ(s.duration, 30 * 60 * runtime::kSecond);
  EXPECT_EQ(s.setup_timeout, 600 * runtime::kSecond);
  ASSERT_EQ(s.thresholds.size(), 2u);
  EXPECT_EQ(s.thresholds[0].metric, "http_req_duration{scenario:default}");
  EXPECT_EQ(s.thresholds[1].metric, "grpc_req_duration{scenario:default}");
  EXPECT_TRUE(s.loads_models);
  EXPECT_EQ(s.protocol, scv2::ProtocolRule::grpc_only);
  EXPECT_EQ(s.models, scv2::ModelRule::type0_every);
  EXPECT_TRUE(s.grpc_connection_per_iteration);
  EXPECT_FALSE(scv2::script_scenario(s, settings({})));
}

// The name a lifecycle iteration numbered n sends to, and its REST request's head.
struct Addressed {
  std::string name;
  std::string head;
  std::string grpc_model_name_field;
};

Addressed addressed(const char* script, const std::map<std::string, std::string>& env, std::uint64_t n) {
  const scv2::Script& s = scv2::find_script(script);
  const scv2::Settings given = settings(env);
  const scv2::Settings st = scv2::script_settings(s, given);
  const scv2::TargetTable table(st, net::parse_http_url("http://h:9000"), scv2::script_models(s, given));
  scv2::RestRequestBuffer buffer(table);
  const scv2::ModelPick pick{0, scv2::iteration_model(n)};
  const scv2::GrpcTargetTable grpc(st, table, "h:9000", runtime::kSecond);
  scv2::GrpcRequestBuffer gbuf(grpc);
  const grpc::RequestBytes g = grpc.request(pick, gbuf);
  return {table.name(pick), table.rest(pick, buffer).head, std::string(g.body[0].data, g.body[0].size).substr(5)};
}

TEST(LifecycleScripts, LoadPredictUnloadSendsThroughEnvoyWhateverEnvoySays) {
  for (const char* envoy : {"true", "false"}) {
    const Addressed a = addressed("load_predict_unload", {{"ENVOY", envoy}, {"SCHEDULER_PROXY", "true"}}, 7);
    EXPECT_EQ(a.name, "iris7") << envoy;
    EXPECT_NE(a.head.find("POST /v2/models/iris7/infer HTTP/1.1\r\n"), std::string::npos) << a.head;
    EXPECT_NE(a.head.find("seldon-model: iris7\r\n"), std::string::npos) << a.head;
    EXPECT_EQ(a.head.find("seldon-internal-model"), std::string::npos) << a.head;
    EXPECT_NE(a.grpc_model_name_field.find("iris7"), std::string::npos);
  }
  // MODELNAME_PREFIX and MODEL_TYPE's first entry decide; the other types play no part.
  const Addressed t = addressed("load_predict_unload",
                                {{"MODEL_TYPE", "tfsimple,iris"}, {"MODELNAME_PREFIX", "lpu-,x"}, {"MAX_NUM_MODELS", "0,3"}},
                                123456);
  EXPECT_EQ(t.name, "lpu-123456");
}

TEST(LifecycleScripts, PipelineCallsThePipelineAndHonoursEnvoyForTheInternalHeader) {
  const Addressed on = addressed("pipeline", {}, 3);
  EXPECT_EQ(on.name, "iris3");
  EXPECT_NE(on.head.find("seldon-model: iris3.pipeline\r\n"), std::string::npos) << on.head;
  EXPECT_EQ(on.head.find("seldon-internal-model"), std::string::npos) << on.head;
  const Addressed off = addressed("pipeline", {{"ENVOY", "false"}}, 3);
  EXPECT_NE(off.head.find("POST /v2/models/iris3/infer HTTP/1.1\r\n"), std::string::npos) << off.head;
  EXPECT_NE(off.head.find("seldon-model: iris3.pipeline\r\n"), std::string::npos) << off.head;
  EXPECT_NE(off.head.find("seldon-internal-model: iris3\r\n"), std::string::npos) << off.head;
}

TEST(LifecycleScripts, ExperimentCallsItsFirstModel) {
  const Addressed a = addressed("experiment", {{"ENVOY", "false"}}, 12);
  EXPECT_EQ(a.name, "iris12_1");
  EXPECT_NE(a.head.find("POST /v2/models/iris12_1/infer HTTP/1.1\r\n"), std::string::npos) << a.head;
  EXPECT_NE(a.head.find("seldon-model: iris12_1\r\n"), std::string::npos) << a.head;
  EXPECT_EQ(a.head.find("seldon-internal-model"), std::string::npos) << a.head;
  EXPECT_NE(a.grpc_model_name_field.find("iris12_1"), std::string::npos);
}

TEST(LifecycleScripts, IterationNumbersNameModelsUntilTheyWrapAtTheTypesLimit) {
  EXPECT_EQ(scv2::iteration_model(0), 0u);
  EXPECT_EQ(scv2::iteration_model(99'999'999), 99'999'999u);
  EXPECT_EQ(scv2::iteration_model(100'000'000), 0u);
  EXPECT_EQ(addressed("load_predict_unload", {}, 99'999'999).name, "iris99999999");
}

TEST(Scripts, PredictAgentOcCallsEveryModelOfTypeZero) {
  const scv2::Script& oc = scv2::find_script("predict_agent_oc");
  const scv2::Settings st = settings({{"MODEL_TYPE", "tfsimple,iris"}, {"MAX_NUM_MODELS", "3,5"}, {"ENVOY", "false"}});
  const scv2::TargetTable table(scv2::script_settings(oc, st), net::parse_http_url("http://h:9000"),
                                scv2::script_models(oc, st));
  ASSERT_EQ(table.types().size(), 1u);
  EXPECT_EQ(table.types()[0].models, 3u);
  // doInfer's names: versioned off envoy.
  EXPECT_EQ(table.name({0, 0}), "tfsimple0_1");
  EXPECT_EQ(table.name({0, 2}), "tfsimple2_1");
  const std::string none = message_of([] {
    scv2::script_models(scv2::find_script("predict_agent_oc"), settings({{"MODEL_TYPE", "tfsimple,iris"}, {"MAX_NUM_MODELS", "0,5"}}));
  });
  EXPECT_EQ(none.rfind("MAX_NUM_MODELS: ", 0), 0u) << none;
  EXPECT_NE(none.find("tfsimple"), std::string::npos) << none;
}

TEST(KubernetesOnlyScripts, KnownByNameAndPathAndMarked) {
  const std::vector<std::string> paths = {
      "scenarios/k8s-test-script.js",
      "scenarios/core2_qa_control_plane_ops.js",
      "scenarios/pipeline/1_model_pipeline.js",
      "scenarios/pipeline/scalability/1_model_pipeline_all_svcs_scaled.js",
      "scenarios/pipeline/scalability/5_model_double_pipelines.js",
      "scenarios/pipeline/scalability/parallel_pipeline.js",
      "scenarios/pipeline/scalability/scale_all_up_down_during_test.js",
      "scenarios/pipeline/scalability/scale_dataflow-engine_during_test.js",
      "scenarios/pipeline/scalability/scale_modelgw_during_test.js",
      "scenarios/pipeline/scalability/scale_pipelinegw_during_test.js",
  };
  std::set<std::string> names;
  for (const std::string& path : paths) {
    const scv2::Script& s = scv2::find_script(path);
    EXPECT_FALSE(s.needs_kubernetes.empty()) << path;
    EXPECT_EQ(s.needs_kubernetes.find('\n'), std::string::npos) << path;
    // The same script by its name without the directories or the extension.
    const std::string file = path.substr(path.rfind('/') + 1, path.size() - path.rfind('/') - 4);
    EXPECT_EQ(&scv2::find_script(file), &s) << file;
    names.insert(s.name);
  }
  EXPECT_EQ(names.size(), paths.size());
  EXPECT_EQ(scv2::find_script("scenarios/pipeline/1_model_pipeline.js").name, "pipeline/1_model_pipeline");
  // pipeline.js is the lifecycle script, not a directory's.
  EXPECT_TRUE(scv2::find_script("scenarios/pipeline.js").needs_kubernetes.empty());
  // The unknown-scenario message lists only what runs.
  const std::string unknown = message_of([] { scv2::find_script("nope"); });
  EXPECT_NE(unknown.find("load_predict_unload"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("predict_agent_oc"), std::string::npos) << unknown;
  EXPECT_EQ(unknown.find("k8s-test-script"), std::string::npos) << unknown;
  EXPECT_EQ(unknown.find("parallel_pipeline"), std::string::npos) << unknown;
}

}  // namespace
