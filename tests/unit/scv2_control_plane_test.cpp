// The control plane's messages: what LoadModel sends for each API, and how ModelStatus and
// PipelineStatus replies decode, checked against the classes generated from proto/.
#include <gtest/gtest.h>

#include "inferload/scv2/control_plane.hpp"
#include "proxy.pb.h"
#include "scheduler.pb.h"

namespace sched = seldon::mlops::scheduler;
namespace proxy = seldon::mlops::proxy;
using namespace inferload;

namespace {

scv2::ModelDefinition iris() {
  scv2::ModelDefinition m;
  m.name = "irisa7";
  m.uri = "gs://seldon-models/testing/iris1";
  m.requirements = {"sklearn"};
  m.memory_bytes = 3'000'000;
  m.replicas = 2;
  return m;
}

void expect_model(const sched::Model& got) {
  EXPECT_EQ(got.meta().name(), "irisa7");
  EXPECT_EQ(got.modelspec().uri(), "gs://seldon-models/testing/iris1");
  ASSERT_EQ(got.modelspec().requirements_size(), 1);
  EXPECT_EQ(got.modelspec().requirements(0), "sklearn");
  EXPECT_TRUE(got.modelspec().has_memorybytes());
  EXPECT_EQ(got.modelspec().memorybytes(), 3'000'000u);
  EXPECT_EQ(got.deploymentspec().replicas(), 2u);
}

}  // namespace

TEST(ControlPlane, LoadModelForTheSchedulerIsALoadModelRequest) {
  sched::LoadModelRequest req;
  ASSERT_TRUE(req.ParseFromString(scv2::encode_load_model(iris(), scv2::ControlApi::scheduler)));
  expect_model(req.model());
}

TEST(ControlPlane, LoadModelForTheProxyWrapsTheSchedulersRequestAtVersionZero) {
  proxy::LoadModelRequest req;
  ASSERT_TRUE(req.ParseFromString(scv2::encode_load_model(iris(), scv2::ControlApi::proxy)));
  ASSERT_TRUE(req.has_request());
  expect_model(req.request().model());
  EXPECT_EQ(req.version(), 0u);
}

TEST(ControlPlane, ModelStatusTakesTheLatestVersion) {
  sched::ModelStatusResponse r;
  r.set_modelname("m");
  auto* v1 = r.add_versions();
  v1->set_version(1);
  v1->mutable_state()->set_state(sched::ModelStatus::ModelTerminated);
  auto* v2 = r.add_versions();
  v2->set_version(2);
  v2->mutable_state()->set_state(sched::ModelStatus::ModelAvailable);
  v2->mutable_state()->set_availablereplicas(3);
  std::string name;
  scv2::ModelState s;
  ASSERT_TRUE(scv2::decode_model_status(r.SerializeAsString(), name, s));
  EXPECT_EQ(name, "m");
  EXPECT_TRUE(s.found);
  EXPECT_EQ(s.version, 2u);
  EXPECT_EQ(s.state, "ModelAvailable");
  EXPECT_TRUE(s.available());
  EXPECT_FALSE(s.failed);
  EXPECT_EQ(s.available_replicas, 3u);
}

TEST(ControlPlane, FailedStatesAndFailedReplicasAreFailures) {
  for (auto state : {sched::ModelStatus::ModelFailed, sched::ModelStatus::ScheduleFailed}) {
    sched::ModelStatusResponse r;
    r.set_modelname("m");
    auto* v = r.add_versions();
    v->set_version(1);
    v->mutable_state()->set_state(state);
    v->mutable_state()->set_reason("no server with sklearn");
    std::string name;
    scv2::ModelState s;
    ASSERT_TRUE(scv2::decode_model_status(r.SerializeAsString(), name, s));
    EXPECT_TRUE(s.failed) << s.state;
    EXPECT_EQ(s.reason, "no server with sklearn");
  }
  // Still progressing as a model, but one replica could not load: no wait will fix it.
  sched::ModelStatusResponse r;
  r.set_modelname("m");
  auto* v = r.add_versions();
  v->set_version(1);
  v->mutable_state()->set_state(sched::ModelStatus::ModelProgressing);
  sched::ModelReplicaStatus replica;
  replica.set_state(sched::ModelReplicaStatus::LoadFailed);
  replica.set_reason("out of memory");
  (*v->mutable_modelreplicastate())[0] = replica;
  std::string name;
  scv2::ModelState s;
  ASSERT_TRUE(scv2::decode_model_status(r.SerializeAsString(), name, s));
  EXPECT_TRUE(s.failed);
  EXPECT_EQ(s.state, "ModelProgressing");
  EXPECT_EQ(s.reason, "replica 0 LoadFailed: out of memory");
}

TEST(ControlPlane, ModelStatusWithoutVersionsIsNotFound) {
  sched::ModelStatusResponse r;
  r.set_modelname("m");
  std::string name;
  scv2::ModelState s;
  ASSERT_TRUE(scv2::decode_model_status(r.SerializeAsString(), name, s));
  EXPECT_FALSE(s.found);
  EXPECT_FALSE(s.available());
  EXPECT_FALSE(scv2::decode_model_status(std::string("\xff\xff\xff", 3), name, s));
}

TEST(ControlPlane, PipelineStatusIsTheLastVersionsAsTheSuiteReadsIt) {
  sched::PipelineStatusResponse r;
  r.set_pipelinename("p");
  r.add_versions()->mutable_state()->set_status(sched::PipelineVersionState::PipelineReady);
  auto* last = r.add_versions()->mutable_state();
  last->set_status(sched::PipelineVersionState::PipelineFailed);
  last->set_reason("step m not found");
  std::string name;
  scv2::PipelineState s;
  ASSERT_TRUE(scv2::decode_pipeline_status(r.SerializeAsString(), name, s));
  EXPECT_EQ(name, "p");
  EXPECT_EQ(s.status, "PipelineFailed");
  EXPECT_TRUE(s.failed());
  EXPECT_FALSE(s.ready());
  EXPECT_EQ(s.reason, "step m not found");
}
