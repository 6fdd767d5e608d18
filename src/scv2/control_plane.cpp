#include "inferload/scv2/control_plane.hpp"

#include <utility>

#include "proxy.pb.h"
#include "scheduler.pb.h"

namespace inferload::scv2 {
namespace {

namespace sched = seldon::mlops::scheduler;
namespace proxy = seldon::mlops::proxy;

constexpr const char* kScheduler = "/seldon.mlops.scheduler.Scheduler/";
constexpr const char* kProxy = "/seldon.mlops.proxy.SchedulerProxy/";
// The subscriber name the suite's list calls give.
constexpr const char* kSubscriber = "inferload";

std::string path(const char* service, const char* method) { return std::string(service) + method; }

void fill_model(const ModelDefinition& m, sched::Model& out) {
  out.mutable_meta()->set_name(m.name);
  sched::ModelSpec* spec = out.mutable_modelspec();
  spec->set_uri(m.uri);
  for (const auto& r : m.requirements) spec->add_requirements(r);
  spec->set_memorybytes(m.memory_bytes);
  out.mutable_deploymentspec()->set_replicas(m.replicas);
}

ModelState model_state_of(const sched::ModelStatusResponse& r) {
  ModelState s;
  if (r.versions_size() == 0) return s;
  // The latest version: allVersions is false, so the scheduler sends only that one, but a list
  // may still carry more.
  const sched::ModelVersionStatus* latest = &r.versions(0);
  for (const auto& v : r.versions()) {
    if (v.version() > latest->version()) latest = &v;
  }
  s.found = true;
  s.version = latest->version();
  const sched::ModelStatus& st = latest->state();
  s.state = sched::ModelStatus::ModelState_Name(st.state());
  s.reason = st.reason();
  s.available_replicas = st.availablereplicas();
  s.failed = st.state() == sched::ModelStatus::ModelFailed || st.state() == sched::ModelStatus::ScheduleFailed;
  for (const auto& [replica, rs] : latest->modelreplicastate()) {
    if (rs.state() == sched::ModelReplicaStatus::LoadFailed) {
      s.failed = true;
      if (s.reason.empty()) s.reason = "replica " + std::to_string(replica) + " LoadFailed: " + rs.reason();
    }
  }
  return s;
}

}  // namespace

bool decode_model_status(const std::string& bytes, std::string& name, ModelState& out) {
  sched::ModelStatusResponse r;
  if (!r.ParseFromString(bytes)) return false;
  name = r.modelname();
  out = model_state_of(r);
  return true;
}

bool decode_pipeline_status(const std::string& bytes, std::string& name, PipelineState& out) {
  sched::PipelineStatusResponse r;
  if (!r.ParseFromString(bytes)) return false;
  name = r.pipelinename();
  out = {};
  if (r.versions_size() == 0) return true;
  // The suite waits on the last element of `versions`.
  const sched::PipelineVersionState& st = r.versions(r.versions_size() - 1).state();
  out.found = true;
  out.status = sched::PipelineVersionState::PipelineStatus_Name(st.status());
  out.reason = st.reason();
  return true;
}

std::string encode_load_model(const ModelDefinition& model, ControlApi api) {
  sched::LoadModelRequest req;
  fill_model(model, *req.mutable_model());
  if (api == ControlApi::scheduler) return req.SerializeAsString();
  proxy::LoadModelRequest wrapped;
  *wrapped.mutable_request() = std::move(req);
  return wrapped.SerializeAsString();
}

runtime::Task<RpcResult> ControlPlane::load_model(const ModelDefinition& model) {
  const char* service = api_ == ControlApi::scheduler ? kScheduler : kProxy;
  co_return co_await client_.unary(path(service, "LoadModel"), encode_load_model(model, api_), owner_);
}

runtime::Task<RpcResult> ControlPlane::unload_model(const std::string& name) {
  std::string bytes;
  if (api_ == ControlApi::scheduler) {
    sched::UnloadModelRequest req;
    req.mutable_model()->set_name(name);
    bytes = req.SerializeAsString();
  } else {
    proxy::UnloadModelRequest req;
    req.mutable_model()->set_name(name);
    bytes = req.SerializeAsString();
  }
  const char* service = api_ == ControlApi::scheduler ? kScheduler : kProxy;
  co_return co_await client_.unary(path(service, "UnloadModel"), std::move(bytes), owner_);
}

runtime::Task<ModelStatusReply> ControlPlane::model_status(const std::string& name) {
  sched::ModelStatusRequest req;
  req.set_subscribername(kSubscriber);
  req.mutable_model()->set_name(name);
  std::vector<std::string> replies;
  ModelStatusReply out;
  out.rpc = co_await client_.stream(path(kScheduler, "ModelStatus"), req.SerializeAsString(), replies, owner_);
  for (const std::string& bytes : replies) {
    std::string got;
    ModelState s;
    if (decode_model_status(bytes, got, s) && got == name) out.model = std::move(s);
  }
  co_return out;
}

runtime::Task<ModelListReply> ControlPlane::list_models() {
  sched::ModelStatusRequest req;
  req.set_subscribername(kSubscriber);
  std::vector<std::string> replies;
  ModelListReply out;
  out.rpc = co_await client_.stream(path(kScheduler, "ModelStatus"), req.SerializeAsString(), replies, owner_);
  for (const std::string& bytes : replies) {
    std::string name;
    ModelState s;
    if (decode_model_status(bytes, name, s)) out.models.emplace_back(std::move(name), std::move(s));
  }
  co_return out;
}

runtime::Task<RpcResult> ControlPlane::load_pipeline(const std::string& name, const std::string& model) {
  sched::LoadPipelineRequest req;
  sched::Pipeline* p = req.mutable_pipeline();
  p->set_name(name);
  p->add_steps()->set_name(model);
  p->mutable_output()->add_steps(model);
  co_return co_await client_.unary(path(kScheduler, "LoadPipeline"), req.SerializeAsString(), owner_);
}

runtime::Task<RpcResult> ControlPlane::unload_pipeline(const std::string& name) {
  sched::UnloadPipelineRequest req;
  req.set_name(name);
  co_return co_await client_.unary(path(kScheduler, "UnloadPipeline"), req.SerializeAsString(), owner_);
}

runtime::Task<PipelineStatusReply> ControlPlane::pipeline_status(const std::string& name) {
  sched::PipelineStatusRequest req;
  req.set_subscribername(kSubscriber);
  req.set_name(name);
  req.set_allversions(true);
  std::vector<std::string> replies;
  PipelineStatusReply out;
  out.rpc = co_await client_.stream(path(kScheduler, "PipelineStatus"), req.SerializeAsString(), replies, owner_);
  for (const std::string& bytes : replies) {
    std::string got;
    PipelineState s;
    if (decode_pipeline_status(bytes, got, s) && got == name) out.pipeline = std::move(s);
  }
  co_return out;
}

runtime::Task<PipelineListReply> ControlPlane::list_pipelines() {
  sched::PipelineStatusRequest req;
  req.set_subscribername(kSubscriber);
  std::vector<std::string> replies;
  PipelineListReply out;
  out.rpc = co_await client_.stream(path(kScheduler, "PipelineStatus"), req.SerializeAsString(), replies);
  for (const std::string& bytes : replies) {
    std::string name;
    PipelineState s;
    if (decode_pipeline_status(bytes, name, s)) out.pipelines.emplace_back(std::move(name), std::move(s));
  }
  co_return out;
}

runtime::Task<RpcResult> ControlPlane::start_experiment(const ExperimentDefinition& e) {
  sched::StartExperimentRequest req;
  sched::Experiment* x = req.mutable_experiment();
  x->set_name(e.name);
  if (!e.default_model.empty()) x->set_default_(e.default_model);
  for (const auto& c : e.candidates) {
    sched::ExperimentCandidate* cand = x->add_candidates();
    cand->set_name(c.name);
    cand->set_weight(c.weight);
  }
  co_return co_await client_.unary(path(kScheduler, "StartExperiment"), req.SerializeAsString(), owner_);
}

runtime::Task<RpcResult> ControlPlane::stop_experiment(const std::string& name) {
  sched::StopExperimentRequest req;
  req.set_name(name);
  co_return co_await client_.unary(path(kScheduler, "StopExperiment"), req.SerializeAsString(), owner_);
}

namespace {

bool decode_experiment_status(const std::string& bytes, ExperimentStatusReply& out) {
  sched::ExperimentStatusResponse r;
  if (!r.ParseFromString(bytes)) return false;
  out.name = r.experimentname();
  out.found = true;
  out.active = r.active();
  out.candidates_ready = r.candidatesready();
  out.description = r.statusdescription();
  return true;
}

}  // namespace

runtime::Task<ExperimentStatusReply> ControlPlane::experiment_status(const std::string& name) {
  sched::ExperimentStatusRequest req;
  req.set_subscribername(kSubscriber);
  req.set_name(name);
  std::vector<std::string> replies;
  ExperimentStatusReply out;
  out.rpc = co_await client_.stream(path(kScheduler, "ExperimentStatus"), req.SerializeAsString(), replies, owner_);
  for (const std::string& bytes : replies) {
    ExperimentStatusReply one;
    if (decode_experiment_status(bytes, one) && one.name == name) {
      one.rpc = out.rpc;
      out = std::move(one);
    }
  }
  co_return out;
}

runtime::Task<ExperimentListReply> ControlPlane::list_experiments() {
  sched::ExperimentStatusRequest req;
  req.set_subscribername(kSubscriber);
  std::vector<std::string> replies;
  ExperimentListReply out;
  out.rpc = co_await client_.stream(path(kScheduler, "ExperimentStatus"), req.SerializeAsString(), replies);
  for (const std::string& bytes : replies) {
    ExperimentStatusReply one;
    if (decode_experiment_status(bytes, one)) out.experiments.push_back(std::move(one));
  }
  co_return out;
}

}  // namespace inferload::scv2
