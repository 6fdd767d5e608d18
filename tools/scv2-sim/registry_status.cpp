// What the registry reports: the phase of each version at a moment, and the scheduler's status
// messages built from it.
#include <algorithm>

#include "proto_states.hpp"
#include "registry.hpp"

namespace scv2sim {
namespace {

// The simulated server every model is scheduled on, as SCv2 names the server it placed a model on.
constexpr const char* server_name = "scv2-sim";

Refusal unknown(const char* kind, const std::string& name) {
    return {Refusal::Code::failed_precondition, std::string(kind) + " '" + name + "' not found"};
}

}  // namespace

PhaseAt<ModelPhase> Registry::phase(const ModelRecord& r, std::size_t version,
                                    TimePoint now) const {
    // The next version replaces this one once it is available; versions of a failing model
    // never are, so the one before keeps serving, as after a failed rollout.
    std::optional<TimePoint> replaced_at;
    if (!r.fails && version + 1 < r.versions.size())
        replaced_at = r.versions[version + 1].loaded_at + config_.load_delay;
    return model_phase(r.versions[version].loaded_at, replaced_at, r.unloaded_at, r.fails,
                       config_.load_delay, now);
}

PhaseAt<PipelinePhase> Registry::phase(const PipelineRecord& r, std::size_t version,
                                       TimePoint now) const {
    std::optional<TimePoint> replaced_at;
    if (version + 1 < r.versions.size())
        replaced_at = r.versions[version + 1].loaded_at + config_.load_delay;
    const PipelineVersion& v = r.versions[version];
    return pipeline_phase(v.loaded_at, replaced_at, r.unloaded_at, config_.load_delay,
                          step_models(v.defn, now), now);
}

const Registry::ModelVersion* Registry::available_version(const ModelRecord& r,
                                                          TimePoint now) const {
    for (std::size_t i = r.versions.size(); i-- > 0;)
        if (phase(r, i, now).phase == ModelPhase::available) return &r.versions[i];
    return nullptr;
}

StepModels Registry::step_models(const sched::Pipeline& pipeline, TimePoint now) const {
    StepModels steps;
    steps.all_available = true;
    TimePoint first_failure = TimePoint::max();
    for (const sched::PipelineStep& step : pipeline.steps()) {
        const ModelRecord* m = find(models_, step.name());
        if (!m) {
            steps.all_available = false;
            continue;
        }
        bool available = false;
        for (std::size_t i = 0; i < m->versions.size() && !available; ++i) {
            const auto p = phase(*m, i, now);
            if (p.phase != ModelPhase::available) continue;
            available = true;
            steps.settled_at = std::max(steps.settled_at, p.since);
        }
        if (available) continue;
        steps.all_available = false;
        const auto latest = phase(*m, m->versions.size() - 1, now);
        if (latest.phase == ModelPhase::failed) {
            steps.any_failed = true;
            first_failure = std::min(first_failure, latest.since);
        }
    }
    if (steps.any_failed) steps.settled_at = first_failure;
    return steps;
}

bool Registry::candidates_exist(const sched::Experiment& e) const {
    return std::all_of(e.candidates().begin(), e.candidates().end(), [&](const auto& c) {
        if (e.resourcetype() == sched::PIPELINE) {
            const PipelineRecord* p = find(pipelines_, c.name());
            return p && !p->unloaded_at;
        }
        const ModelRecord* m = find(models_, c.name());
        return m && !m->unloaded_at;
    });
}

bool Registry::candidates_ready(const sched::Experiment& e, TimePoint now) const {
    return std::all_of(e.candidates().begin(), e.candidates().end(), [&](const auto& c) {
        if (e.resourcetype() == sched::PIPELINE) return pipeline_serves(c.name(), now);
        const ModelRecord* m = find(models_, c.name());
        return m && available_version(*m, now);
    });
}

bool Registry::active(const ExperimentRecord& r, TimePoint now) const {
    return experiment_active(r.started_at, r.stopped_at, config_.load_delay,
                             candidates_exist(r.defn), now);
}

std::string Registry::model_reason(const ModelRecord& r, std::size_t version,
                                   ModelPhase phase) const {
    switch (phase) {
    case ModelPhase::failed:
        return "failed to load on every replica: scv2-sim runs with --fail-model " +
               r.versions[version].defn.meta().name();
    case ModelPhase::terminated:
        if (version + 1 < r.versions.size() && !r.unloaded_at)
            return "replaced by version " + std::to_string(r.versions[version + 1].number);
        return "unloaded";
    case ModelPhase::terminating:
        return "unloading";
    case ModelPhase::progressing:
        return "loading";
    case ModelPhase::available:
        break;
    }
    return {};
}

std::string Registry::pipeline_reason(const sched::Pipeline& pipeline, PipelinePhase phase,
                                      TimePoint now) const {
    switch (phase) {
    case PipelinePhase::creating:
        return "waiting for its step models to be available";
    case PipelinePhase::ready:
        return "created pipeline";
    case PipelinePhase::failed:
        for (const sched::PipelineStep& step : pipeline.steps()) {
            const ModelRecord* m = find(models_, step.name());
            if (m && this->phase(*m, m->versions.size() - 1, now).phase == ModelPhase::failed)
                return "step model " + step.name() + " failed";
        }
        return "a step model failed";
    case PipelinePhase::terminating:
    case PipelinePhase::terminated:
        return "pipeline unloaded";
    }
    return {};
}

google::protobuf::Timestamp Registry::wall_time(TimePoint t) const {
    using namespace std::chrono;
    const auto wall = wall_epoch_ + duration_cast<system_clock::duration>(t - steady_epoch_);
    const auto ns = duration_cast<nanoseconds>(wall.time_since_epoch()).count();
    google::protobuf::Timestamp ts;
    ts.set_seconds(ns / 1'000'000'000);
    ts.set_nanos(static_cast<std::int32_t>(ns % 1'000'000'000));
    return ts;
}

sched::ModelStatusResponse Registry::model_message(const std::string& name, const ModelRecord& r,
                                                   bool all_versions, TimePoint now) const {
    sched::ModelStatusResponse out;
    out.set_modelname(name);
    out.set_deleted(r.unloaded_at.has_value());
    for (std::size_t i = all_versions ? 0 : r.versions.size() - 1; i < r.versions.size(); ++i) {
        const ModelVersion& v = r.versions[i];
        const auto p = phase(r, i, now);
        const google::protobuf::Timestamp since = wall_time(p.since);
        const std::uint32_t replicas =
            std::max<std::uint32_t>(1, v.defn.deploymentspec().replicas());

        sched::ModelVersionStatus& vs = *out.add_versions();
        vs.set_version(v.number);
        vs.set_servername(server_name);
        sched::ModelStatus& state = *vs.mutable_state();
        state.set_state(to_model_state(p.phase));
        state.set_reason(model_reason(r, i, p.phase));
        if (p.phase == ModelPhase::available) state.set_availablereplicas(replicas);
        if (p.phase == ModelPhase::progressing || p.phase == ModelPhase::failed)
            state.set_unavailablereplicas(replicas);
        *state.mutable_lastchangetimestamp() = since;
        // A terminated version has left its server: no replica is reported any more.
        if (p.phase != ModelPhase::terminated) {
            for (std::uint32_t k = 0; k < replicas; ++k) {
                sched::ModelReplicaStatus& replica =
                    (*vs.mutable_modelreplicastate())[static_cast<std::int32_t>(k)];
                replica.set_state(to_replica_state(p.phase));
                if (p.phase == ModelPhase::failed) replica.set_reason(state.reason());
                *replica.mutable_lastchangetimestamp() = since;
            }
        }
        *vs.mutable_modeldefn() = v.defn;
    }
    return out;
}

sched::PipelineStatusResponse Registry::pipeline_message(const std::string& name,
                                                         const PipelineRecord& r,
                                                         bool all_versions, TimePoint now) const {
    sched::PipelineStatusResponse out;
    out.set_pipelinename(name);
    for (std::size_t i = all_versions ? 0 : r.versions.size() - 1; i < r.versions.size(); ++i) {
        const PipelineVersion& v = r.versions[i];
        const auto p = phase(r, i, now);
        sched::PipelineWithState& ws = *out.add_versions();
        *ws.mutable_pipeline() = v.defn;
        sched::PipelineVersionState& state = *ws.mutable_state();
        state.set_pipelineversion(v.number);
        state.set_status(to_pipeline_status(p.phase));
        state.set_reason(pipeline_reason(v.defn, p.phase, now));
        *state.mutable_lastchangetimestamp() = wall_time(p.since);
        state.set_modelsready(step_models(v.defn, now).all_available);
    }
    return out;
}

sched::ExperimentStatusResponse Registry::experiment_message(const std::string& name,
                                                             const ExperimentRecord& r,
                                                             TimePoint now) const {
    sched::ExperimentStatusResponse out;
    out.set_experimentname(name);
    const bool is_active = active(r, now);
    out.set_active(is_active);
    out.set_candidatesready(!r.stopped_at && candidates_ready(r.defn, now));
    if (r.stopped_at) out.set_statusdescription("experiment stopped");
    else if (is_active) out.set_statusdescription("experiment active");
    else if (!candidates_exist(r.defn)) out.set_statusdescription("waiting for its candidates");
    else out.set_statusdescription("starting");
    return out;
}

Refused Registry::model_status(const std::string& name, bool all_versions,
                               std::vector<sched::ModelStatusResponse>& out) const {
    const TimePoint now = SteadyClock::now();
    const std::lock_guard lock(mutex_);
    if (!name.empty()) {
        const ModelRecord* r = find(models_, name);
        if (!r) return unknown("model", name);
        out.push_back(model_message(name, *r, all_versions, now));
        return std::nullopt;
    }
    for (const auto& [n, r] : models_) out.push_back(model_message(n, r, all_versions, now));
    return std::nullopt;
}

Refused Registry::pipeline_status(const std::string& name, bool all_versions,
                                  std::vector<sched::PipelineStatusResponse>& out) const {
    const TimePoint now = SteadyClock::now();
    const std::lock_guard lock(mutex_);
    if (!name.empty()) {
        const PipelineRecord* r = find(pipelines_, name);
        if (!r) return unknown("pipeline", name);
        out.push_back(pipeline_message(name, *r, all_versions, now));
        return std::nullopt;
    }
    for (const auto& [n, r] : pipelines_)
        out.push_back(pipeline_message(n, r, all_versions, now));
    return std::nullopt;
}

Refused Registry::experiment_status(const std::string& name,
                                    std::vector<sched::ExperimentStatusResponse>& out) const {
    const TimePoint now = SteadyClock::now();
    const std::lock_guard lock(mutex_);
    if (!name.empty()) {
        const ExperimentRecord* r = find(experiments_, name);
        if (!r) return unknown("experiment", name);
        out.push_back(experiment_message(name, *r, now));
        return std::nullopt;
    }
    for (const auto& [n, r] : experiments_) out.push_back(experiment_message(n, r, now));
    return std::nullopt;
}

}  // namespace scv2sim
