#pragma once
// SCv2's control-plane operations as the suite uses them (section 5.2 of its specification): load,
// watch and unload models, pipelines and experiments through the scheduler, or load and unload
// models through the scheduler proxy (SCHEDULER_PROXY=true), which has nothing else. Requests are
// built and replies decoded here, with the classes generated from our proto/; callers see plain
// values.
#include <cstdint>
#include <string>
#include <vector>

#include "inferload/runtime/task.hpp"
#include "inferload/scv2/scheduler_client.hpp"

namespace inferload::scv2 {

enum class ControlApi : std::uint8_t { scheduler, proxy };

struct ModelDefinition {
  std::string name;
  std::string uri;
  std::vector<std::string> requirements;
  std::uint64_t memory_bytes = 0;
  std::uint32_t replicas = 1;
};

// A model's state as ModelStatus reports its latest version.
struct ModelState {
  bool found = false;   // the scheduler answered with a version of it
  std::string state;    // the enum's name, as the suite compares it: "ModelAvailable", ...
  std::string reason;   // the scheduler's, or a failed replica's when the model's own is empty
  std::uint32_t available_replicas = 0;
  std::uint32_t version = 0;
  // In a state it does not leave by waiting: ModelFailed, ScheduleFailed, or a replica LoadFailed.
  bool failed = false;
  bool available() const noexcept { return state == "ModelAvailable"; }
  bool terminated() const noexcept { return state == "ModelTerminated"; }
};

struct ModelStatusReply {
  RpcResult rpc;
  ModelState model;
};

struct PipelineState {
  bool found = false;
  std::string status;  // the last version's: "PipelineReady", ...
  std::string reason;
  bool ready() const noexcept { return status == "PipelineReady"; }
  bool failed() const noexcept { return status == "PipelineFailed" || status == "PipelineFailedTerminating"; }
  bool terminated() const noexcept { return status == "PipelineTerminated"; }
};

struct PipelineStatusReply {
  RpcResult rpc;
  PipelineState pipeline;
};

struct ExperimentCandidate {
  std::string name;
  std::uint32_t weight = 0;
};

struct ExperimentDefinition {
  std::string name;
  std::string default_model;
  std::vector<ExperimentCandidate> candidates;
};

struct ExperimentStatusReply {
  RpcResult rpc;
  std::string name;
  bool found = false;
  bool active = false;
  bool candidates_ready = false;
  std::string description;
};

// Every object's state, from the list form of a status RPC (one message per object).
struct ModelListReply {
  RpcResult rpc;
  std::vector<std::pair<std::string, ModelState>> models;
};

struct PipelineListReply {
  RpcResult rpc;
  std::vector<std::pair<std::string, PipelineState>> pipelines;
};

struct ExperimentListReply {
  RpcResult rpc;
  std::vector<ExperimentStatusReply> experiments;  // each with its name in `name`
};

class ControlPlane {
 public:
  // `owner`: the VU whose calls these are (0: none), so that its hard stop ends them.
  ControlPlane(SchedulerClient& client, ControlApi api, std::uint32_t owner = 0)
      : client_(client), api_(api), owner_(owner) {}

  ControlApi api() const noexcept { return api_; }
  // The proxy has no status RPCs: a caller cannot wait for a state through it.
  bool can_watch() const noexcept { return api_ == ControlApi::scheduler; }

  runtime::Task<RpcResult> load_model(const ModelDefinition& model);
  runtime::Task<RpcResult> unload_model(const std::string& name);
  runtime::Task<ModelStatusReply> model_status(const std::string& name);
  runtime::Task<ModelListReply> list_models();

  // A one-step pipeline of the same name as its model, as the suite makes them.
  runtime::Task<RpcResult> load_pipeline(const std::string& name, const std::string& model);
  runtime::Task<RpcResult> unload_pipeline(const std::string& name);
  runtime::Task<PipelineStatusReply> pipeline_status(const std::string& name);
  runtime::Task<PipelineListReply> list_pipelines();

  runtime::Task<RpcResult> start_experiment(const ExperimentDefinition& experiment);
  runtime::Task<RpcResult> stop_experiment(const std::string& name);
  runtime::Task<ExperimentStatusReply> experiment_status(const std::string& name);
  runtime::Task<ExperimentListReply> list_experiments();

 private:
  SchedulerClient& client_;
  ControlApi api_;
  std::uint32_t owner_;
};

// Decoders, for tests and the list form: false when `bytes` is no such message.
bool decode_model_status(const std::string& bytes, std::string& name, ModelState& out);
bool decode_pipeline_status(const std::string& bytes, std::string& name, PipelineState& out);

// The request bytes each call sends, for tests.
std::string encode_load_model(const ModelDefinition& model, ControlApi api);

}  // namespace inferload::scv2
