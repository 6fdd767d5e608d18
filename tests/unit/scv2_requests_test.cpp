// What inferload puts on the wire for SCv2: the env-var rules of the k6 suite, the payloads of
// its model catalogue, the naming and header rules, and the request encoding.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "inferload/http1/request_template.hpp"
#include "inferload/http1/uri.hpp"
#include "inferload/oip/json_text.hpp"
#include "inferload/oip/rest_request.hpp"
#include "inferload/scv2/catalogue.hpp"
#include "inferload/scv2/scripts.hpp"
#include "inferload/scv2/settings.hpp"
#include "inferload/scv2/targets.hpp"

using namespace inferload;

namespace {

scv2::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Settings, DefaultsAreTheSuites) {
  const scv2::Settings s = scv2::load_settings(env_of({}));
  EXPECT_EQ(s.infer_http_endpoint, "http://0.0.0.0:9000");
  EXPECT_EQ(s.model_type, std::vector<std::string>{"iris"});
  EXPECT_EQ(s.modelname_prefix, std::vector<std::string>{"iris"});
  EXPECT_EQ(s.max_num_models, std::vector<long long>{1});
  EXPECT_EQ(s.infer_batch_size, std::vector<int>{1});
  EXPECT_EQ(s.infer_http_iterations, 1);
  EXPECT_EQ(s.infer_grpc_iterations, 1);
  EXPECT_TRUE(s.envoy);
  EXPECT_FALSE(s.via_pipeline);
}

TEST(Settings, TheBaseJobsEnvironment) {
  const scv2::Settings s = scv2::load_settings(env_of({
      {"MODELNAME_PREFIX", "tfsimplea,pytorch-cifar10a,tfmnista,mlflow-winea,irisa"},
      {"MODEL_TYPE", "tfsimple,pytorch_cifar10,tfmnist,mlflow_wine,iris"},
      {"MAX_NUM_MODELS", "800,100,25,100,100"},
      {"INFER_BATCH_SIZE", "1,1,1,1,1"},
      {"INFER_HTTP_ITERATIONS", "1"},
      {"INFER_GRPC_ITERATIONS", "0"},
  }));
  EXPECT_EQ(s.model_type.size(), 5u);
  EXPECT_EQ(s.max_num_models, (std::vector<long long>{800, 100, 25, 100, 100}));
  EXPECT_EQ(s.modelname_prefix[1], "pytorch-cifar10a");
}

TEST(Settings, ParseRulesOfTheSuite) {
  // Only the exact string "true" turns ENVOY on; any other value turns it off.
  EXPECT_FALSE(scv2::load_settings(env_of({{"ENVOY", "True"}})).envoy);
  EXPECT_TRUE(scv2::load_settings(env_of({{"ENVOY", "true"}})).envoy);
  EXPECT_TRUE(scv2::load_settings(env_of({{"ENVOY", ""}})).envoy);  // empty reads as unset
  EXPECT_EQ(scv2::load_settings(env_of({{"MAX_NUM_MODELS", "5.0"}})).max_num_models[0], 5);
  // Longer per-type lists are accepted (the suite ignores the extra values).
  EXPECT_EQ(scv2::load_settings(env_of({{"INFER_BATCH_SIZE", "2,7"}})).infer_batch_size, std::vector<int>{2});
}

TEST(Settings, BadValuesNameTheVariable) {
  EXPECT_EQ(message_of([] { scv2::load_settings(env_of({{"MAX_NUM_MODELS", "ten"}})); }).rfind("MAX_NUM_MODELS: ", 0), 0u);
  EXPECT_EQ(message_of([] { scv2::load_settings(env_of({{"MAX_NUM_MODELS", "0"}})); }).rfind("MAX_NUM_MODELS: ", 0), 0u);
  EXPECT_EQ(message_of([] { scv2::load_settings(env_of({{"MODEL_TYPE", "a,b"}, {"MAX_NUM_MODELS", "1"}})); })
                .rfind("MAX_NUM_MODELS: has 1 value(s) but MODEL_TYPE has 2", 0),
            0u);
  EXPECT_EQ(message_of([] { scv2::load_settings(env_of({{"INFER_BATCH_SIZE", "0"}})); }).rfind("INFER_BATCH_SIZE: ", 0), 0u);
  EXPECT_EQ(message_of([] { scv2::load_settings(env_of({{"INFER_HTTP_ITERATIONS", "-1"}})); }).rfind("INFER_HTTP_ITERATIONS: ", 0), 0u);
  EXPECT_EQ(message_of([] { scv2::load_settings(env_of({{"MODEL_TYPE", "iris,,tfsimple"}})); }).rfind("MODEL_TYPE: ", 0), 0u);
}

TEST(Payloads, TfsimpleAndIrisAsTheSuiteSendsThem) {
  EXPECT_EQ(scv2::rest_payload("tfsimple", 1),
            "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":[0,1,2,3,4,5,6,7,8,9,10,11,"
            "12,13,14,15]},{\"name\":\"INPUT1\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":[0,1,2,3,4,5,6,7,8,9,10,"
            "11,12,13,14,15]}]}");
  EXPECT_EQ(scv2::rest_payload("iris", 1),
            "{\"inputs\":[{\"name\":\"predict\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[[0,1,2,3]]}]}");
  EXPECT_EQ(scv2::rest_payload("iris", 2),
            "{\"inputs\":[{\"name\":\"predict\",\"shape\":[2,4],\"datatype\":\"FP32\",\"data\":[[0,1,2,3,4,5,6,7]]}]}");
  const std::string tf3 = scv2::rest_payload("tfsimple", 3);
  EXPECT_NE(tf3.find("\"shape\":[3,16]"), std::string::npos);
  EXPECT_NE(tf3.find(",47]"), std::string::npos);  // 16 * 3 values: 0..47
}

TEST(Payloads, EveryCatalogueTypeEncodes) {
  for (const std::string& type : scv2::known_model_types()) {
    const std::string body = scv2::rest_payload(type, 2);
    EXPECT_EQ(body.rfind("{\"inputs\":[", 0), 0u) << type;
    EXPECT_EQ(body.back(), '}') << type;
  }
  EXPECT_NE(scv2::rest_payload("mlflow_wine", 1).find(",\"parameters\":{\"content_type\":\"pd\"}}"), std::string::npos);
  EXPECT_NE(scv2::rest_payload("tfmnist", 1).find("[0.1,0.1,"), std::string::npos);
  EXPECT_EQ(scv2::rest_payload("synth", 1), "{\"inputs\":[{\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"h\"]}]}");
  EXPECT_EQ(message_of([] { scv2::rest_payload("resnet", 1); }).rfind("MODEL_TYPE: unknown model type \"resnet\"", 0), 0u);
}

TEST(JsNumbers, AsJavaScriptPrintsThem) {
  auto js = [](double v) { return oip::json_number(v); };
  EXPECT_EQ(js(0), "0");
  EXPECT_EQ(js(1), "1");
  EXPECT_EQ(js(0.1), "0.1");
  EXPECT_EQ(js(-2.5), "-2.5");
  EXPECT_EQ(js(1e21), "1e+21");
  EXPECT_EQ(js(1.5e-7), "1.5e-7");
  EXPECT_EQ(js(123456789012), "123456789012");
  EXPECT_EQ(js(0.000001), "0.000001");
  EXPECT_EQ(js(1e-7), "1e-7");
}

TEST(RequestTemplate, EncodesAHeadWithContentLength) {
  auto body = std::make_shared<const std::string>("{}");
  const http1::RequestTemplate t =
      http1::make_request("POST", "/v2/models/m/infer", {{"Host", "m"}, {"seldon-model", "m"}}, body);
  EXPECT_EQ(t.head, "POST /v2/models/m/infer HTTP/1.1\r\nHost: m\r\nseldon-model: m\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(t.size(), t.head.size() + 2);
  EXPECT_EQ(t.wire, t.head + "{}");
  auto big = std::make_shared<const std::string>(http1::RequestTemplate::kMaxWireBody + 1, 'x');
  EXPECT_TRUE(http1::make_request("POST", "/", {}, big).wire.empty());  // sent as two buffers
  const http1::RequestTemplate get = http1::make_request("GET", "/v2/health/ready", {{"Host", "x"}}, nullptr);
  EXPECT_EQ(get.head, "GET /v2/health/ready HTTP/1.1\r\nHost: x\r\n\r\n");
}

TEST(RequestTemplate, RefusesBytesThatWouldBreakTheMessage) {
  EXPECT_THROW(http1::make_request("POST", "/a b", {}, nullptr), std::invalid_argument);
  EXPECT_THROW(http1::make_request("POST", "x", {}, nullptr), std::invalid_argument);
  EXPECT_THROW(http1::make_request("PO ST", "/", {}, nullptr), std::invalid_argument);
  EXPECT_THROW(http1::make_request("POST", "/", {{"Host", "a\r\nX: y"}}, nullptr), std::invalid_argument);
  EXPECT_THROW(http1::make_request("POST", "/", {{"Bad Name", "v"}}, nullptr), std::invalid_argument);
  EXPECT_THROW(http1::make_request("POST", "/", {{"content-length", "5"}}, nullptr), std::invalid_argument);
}

TEST(Targets, EnvoyNamesAndHeaders) {
  const scv2::Settings s = scv2::load_settings(env_of({{"MODEL_TYPE", "tfsimple,iris"},
                                                       {"MODELNAME_PREFIX", "tfsimplea,irisa"},
                                                       {"MAX_NUM_MODELS", "3,2"}}));
  net::HttpUrl url = net::parse_http_url("http://seldon-mesh:80/prefix/");
  const scv2::TargetTable table(s, url);
  ASSERT_EQ(table.model_count(), 5u);
  scv2::RestRequestBuffer buffer(table);
  const scv2::ModelPick pick{0, 2};
  EXPECT_EQ(table.name(pick), "tfsimplea2");
  const http1::RequestTemplate& rest = table.rest(pick, buffer);
  const std::string& h = rest.head;
  EXPECT_EQ(h.rfind("POST /prefix/v2/models/tfsimplea2/infer HTTP/1.1\r\nHost: tfsimplea2\r\n", 0), 0u) << h;
  EXPECT_NE(h.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nseldon-model: tfsimplea2\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nAccept-Encoding: entity\r\n"), std::string::npos);
  EXPECT_EQ(h.find("seldon-internal-model"), std::string::npos);
  EXPECT_EQ(*rest.body, scv2::rest_payload("tfsimple", 1));
  EXPECT_EQ(rest.wire, h + *rest.body);
}

TEST(Targets, VersionedNamesOffEnvoyAndPipelines) {
  const scv2::Settings s = scv2::load_settings(env_of({{"ENVOY", "false"}, {"VIA_PIPELINE", "true"}}));
  const scv2::TargetTable table(s, net::parse_http_url("http://h:9001"));
  scv2::RestRequestBuffer buffer(table);
  const std::string& h = table.rest({0, 0}, buffer).head;
  EXPECT_NE(h.find("POST /v2/models/iris0_1/infer"), std::string::npos);
  EXPECT_NE(h.find("\r\nseldon-model: iris0_1.pipeline\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nseldon-internal-model: iris0_1\r\n"), std::string::npos);
  const scv2::Settings proxy = scv2::load_settings(env_of({{"ENVOY", "false"}, {"SCHEDULER_PROXY", "true"}}));
  EXPECT_EQ(scv2::target_name(proxy, "m"), "m_0");
}

TEST(Targets, PickIsUniformOverTypesThenModels) {
  const scv2::Settings s = scv2::load_settings(env_of({{"MODEL_TYPE", "tfsimple,iris,echo"},
                                                       {"MAX_NUM_MODELS", "8,2,0"}}));
  const scv2::TargetTable table(s, net::parse_http_url("http://h"));
  ASSERT_EQ(table.types().size(), 2u);  // echo has no models
  scv2::Rng rng(42);
  std::map<std::string, int> seen;
  const int draws = 200000;
  for (int i = 0; i < draws; ++i) ++seen[table.name(table.pick(rng))];
  // Half the draws per type, then uniform within the type.
  EXPECT_NEAR(seen["tfsimple0"], draws / 2 / 8, draws / 2 / 8 * 0.06);
  EXPECT_NEAR(seen["iris1"], draws / 2 / 2, draws / 2 / 2 * 0.03);
  EXPECT_EQ(seen.size(), 10u);
}

TEST(Targets, ManyModelsAreEncodedWhenPickedExactlyAsFewAre) {
  for (const char* envoy : {"true", "false"}) {
    const auto settings = [&](const char* count) {
      return scv2::load_settings(env_of({{"MODEL_TYPE", "tfsimple,iris"}, {"MAX_NUM_MODELS", count}, {"ENVOY", envoy},
                                         {"VIA_PIPELINE", "true"}}));
    };
    const scv2::TargetTable few(settings("10,3"), net::parse_http_url("http://h:9/p"));
    const scv2::TargetTable many(settings("1000000,5000"), net::parse_http_url("http://h:9/p"));
    ASSERT_FALSE(few.types()[0].encoded.empty());
    ASSERT_TRUE(many.types()[0].encoded.empty());
    ASSERT_TRUE(many.types()[1].encoded.empty());
    EXPECT_EQ(many.model_count(), 1'005'000u);
    scv2::RestRequestBuffer few_buffer(few), buffer(many);
    for (const scv2::ModelPick pick : {scv2::ModelPick{0, 7}, {1, 2}, {0, 7}, {0, 3}, {1, 0}, {0, 9}}) {
      const http1::RequestTemplate& want = few.rest(pick, few_buffer);
      const http1::RequestTemplate& got = many.rest(pick, buffer);
      EXPECT_EQ(got.head, want.head) << envoy;
      EXPECT_EQ(got.wire, want.wire);
      EXPECT_EQ(got.body.get(), many.types()[pick.type].body.get());
    }
    const http1::RequestTemplate& last = many.rest({0, 999'999}, buffer);
    const std::string name = std::string("tfsimple999999") + (std::string(envoy) == "true" ? "" : "_1");
    EXPECT_EQ(many.name({0, 999'999}), name);
    EXPECT_EQ(last.head.rfind("POST /p/v2/models/" + name + "/infer HTTP/1.1\r\nHost: " + name + "\r\n", 0), 0u) << last.head;
    EXPECT_NE(last.head.find("\r\nseldon-model: " + name + ".pipeline\r\n"), std::string::npos);
    EXPECT_EQ(last.head.find("seldon-internal-model: " + name + "\r\n") != std::string::npos, std::string(envoy) != "true");
    EXPECT_NE(last.head.find("\r\nContent-Length: " + std::to_string(last.body->size()) + "\r\n"), std::string::npos);
  }
}

TEST(Targets, NamesAHostHeaderCannotCarryAreRefusedNamingTheVariable) {
  for (const char* prefix : {"mod\xC3\xA9le", "a b", "a:b", "a/b", "a%b"}) {
    const scv2::Settings s = scv2::load_settings(env_of({{"MODEL_TYPE", "iris"}, {"MODELNAME_PREFIX", prefix}}));
    try {
      scv2::TargetTable table(s, net::parse_http_url("http://h"));
      ADD_FAILURE() << prefix << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).rfind("MODELNAME_PREFIX: ", 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find("Host header"), std::string::npos) << e.what();
    }
  }
  const scv2::Settings s = scv2::load_settings(env_of({{"MODEL_TYPE", "iris"}, {"MODELNAME_PREFIX", "a-b.c_d~e"}}));
  EXPECT_NO_THROW(scv2::TargetTable(s, net::parse_http_url("http://h")));
}

TEST(Uri, PathSegmentsArePercentEncoded) {
  EXPECT_EQ(http1::percent_encode_path_segment("iris0_1"), "iris0_1");
  EXPECT_EQ(http1::percent_encode_path_segment("a-b.c~d!$&'()*+,;=:@"), "a-b.c~d!$&'()*+,;=:@");
  EXPECT_EQ(http1::percent_encode_path_segment("mod\xC3\xA9le"), "mod%C3%A9le");
  EXPECT_EQ(http1::percent_encode_path_segment("a b/c?d#e%f"), "a%20b%2Fc%3Fd%23e%25f");
  EXPECT_EQ(http1::percent_encode_path_segment(std::string("\0\x7f", 2)), "%00%7F");
  EXPECT_EQ(http1::host_name_problem("seldon-mesh"), "");
  EXPECT_NE(http1::host_name_problem("caf\xC3\xA9").find("non-ASCII byte 0xC3"), std::string::npos);
  EXPECT_NE(http1::host_name_problem(""), "");
}

TEST(Scripts, FoundByNameOrPath) {
  EXPECT_EQ(scv2::find_script("scenarios/infer_constant_vu.js").name, "infer_constant_vu");
  EXPECT_EQ(scv2::find_script("infer_constant_vu").check_name, "model http prediction success");
  EXPECT_THROW(scv2::find_script("scenarios/no_such_script.js"), std::invalid_argument);
}

TEST(Url, ParsesAndRejects) {
  const net::HttpUrl u = net::parse_http_url("http://[::1]:8080/a/b/");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.base_path, "/a/b");
  EXPECT_EQ(u.authority(), "[::1]:8080");
  EXPECT_EQ(net::parse_http_url("http://seldon-mesh").port, 80);
  for (const char* bad : {"seldon-mesh:80", "ftp://x", "https://", "http://", "http://x:0", "http://x:99999", "http://x:8a",
                          "http://u@x", "http://x/?q"}) {
    EXPECT_THROW(net::parse_http_url(bad), std::invalid_argument) << bad;
  }
}
