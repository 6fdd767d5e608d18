#pragma once
// The models, pipelines and experiments the simulated scheduler was asked for, and what the data
// plane may serve because of them. Shared by the REST threads, grpc++'s data-plane threads and
// the scheduler's, so one mutex guards it: this is a test peer, not inferload's hot path. States
// follow from the load times and the delay (lifecycle.hpp), so nothing runs in the background.

#include <google/protobuf/timestamp.pb.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lifecycle.hpp"
#include "registry_config.hpp"
#include "scheduler.pb.h"
#include "target.hpp"

namespace scv2sim {

namespace sched = seldon::mlops::scheduler;

// Why a control-plane call was refused; the scheduler turns it into a gRPC status.
struct Refusal {
    enum class Code { invalid_argument, failed_precondition };
    Code code;
    std::string message;
};
using Refused = std::optional<Refusal>;  // nullopt: accepted

class Registry {
public:
    explicit Registry(RegistryConfig config);

    // Called with each model and pipeline whose load was accepted, outside the lock; set once,
    // before any thread serves (the Kafka gateway creates its topics, as SCv2's does).
    using LoadHook = std::function<void(const Target&)>;
    void on_load(LoadHook hook) { on_load_ = std::move(hook); }

    // Each returns at once, as SCv2's scheduler does: what follows happens over the delay.
    Refused load_model(const sched::Model& model);
    Refused unload_model(const std::string& name);
    Refused load_pipeline(const sched::Pipeline& pipeline);
    Refused unload_pipeline(const std::string& name);
    Refused start_experiment(const sched::Experiment& experiment);
    Refused stop_experiment(const std::string& name);

    // With a name, exactly one message (an unknown name is refused); with an empty name, one
    // message per object, by name. Without all_versions only the latest version is reported.
    Refused model_status(const std::string& name, bool all_versions,
                         std::vector<sched::ModelStatusResponse>& out) const;
    Refused pipeline_status(const std::string& name, bool all_versions,
                            std::vector<sched::PipelineStatusResponse>& out) const;
    Refused experiment_status(const std::string& name,
                              std::vector<sched::ExperimentStatusResponse>& out) const;

    // Only in registry mode does a request have to be checked with serves().
    bool filters() const { return config_.mode == ModelsMode::registry; }
    bool serves(const Target& target) const;
    // Models with a version available now.
    std::size_t available_models() const;
    // GET /sim/models: what was loaded, as it was sent.
    std::string to_json() const;

private:
    struct ModelVersion {
        std::uint32_t number;
        sched::Model defn;
        TimePoint loaded_at;
    };
    struct ModelRecord {
        std::vector<ModelVersion> versions;  // oldest first, never empty
        std::optional<TimePoint> unloaded_at;
        bool fails = false;
    };
    struct PipelineVersion {
        std::uint32_t number;
        sched::Pipeline defn;  // with its version number set, as the scheduler reports it
        TimePoint loaded_at;
    };
    struct PipelineRecord {
        std::vector<PipelineVersion> versions;  // oldest first, never empty
        std::optional<TimePoint> unloaded_at;
    };
    struct ExperimentRecord {
        sched::Experiment defn;
        TimePoint started_at;
        std::optional<TimePoint> stopped_at;
    };
    template <class Record>
    using ByName = std::map<std::string, Record, std::less<>>;

    Refused add_model(const sched::Model& model);
    Refused add_pipeline(const sched::Pipeline& pipeline);
    Refused loaded(Refused refused, Target::Kind kind, const std::string& name) const;

    template <class Map>
    static auto* find(Map& map, std::string_view name) {
        const auto it = map.find(name);
        return it == map.end() ? nullptr : &it->second;
    }
    // All of these expect mutex_ to be held.
    PhaseAt<ModelPhase> phase(const ModelRecord& r, std::size_t version, TimePoint now) const;
    PhaseAt<PipelinePhase> phase(const PipelineRecord& r, std::size_t version,
                                 TimePoint now) const;
    const ModelVersion* available_version(const ModelRecord& r, TimePoint now) const;
    bool model_serves(std::string_view name, TimePoint now) const;
    bool pipeline_serves(std::string_view name, TimePoint now) const;
    StepModels step_models(const sched::Pipeline& pipeline, TimePoint now) const;
    bool candidates_exist(const sched::Experiment& e) const;
    bool candidates_ready(const sched::Experiment& e, TimePoint now) const;
    bool active(const ExperimentRecord& r, TimePoint now) const;
    std::string model_reason(const ModelRecord& r, std::size_t version, ModelPhase phase) const;
    std::string pipeline_reason(const sched::Pipeline& pipeline, PipelinePhase phase,
                                TimePoint now) const;
    sched::ModelStatusResponse model_message(const std::string& name, const ModelRecord& r,
                                             bool all_versions, TimePoint now) const;
    sched::PipelineStatusResponse pipeline_message(const std::string& name,
                                                   const PipelineRecord& r, bool all_versions,
                                                   TimePoint now) const;
    sched::ExperimentStatusResponse experiment_message(const std::string& name,
                                                       const ExperimentRecord& r,
                                                       TimePoint now) const;
    google::protobuf::Timestamp wall_time(TimePoint t) const;

    const RegistryConfig config_;
    LoadHook on_load_;
    // The wall clock at a steady instant, so a steady time can be reported as a timestamp.
    const TimePoint steady_epoch_;
    const std::chrono::system_clock::time_point wall_epoch_;
    mutable std::mutex mutex_;
    ByName<ModelRecord> models_;
    ByName<PipelineRecord> pipelines_;
    ByName<ExperimentRecord> experiments_;
};

}  // namespace scv2sim
