// The registry's control-plane calls (load, unload, start, stop) and the data plane's question
// "is this served?". Status messages are in registry_status.cpp, /sim/models in registry_json.cpp.
#include "registry.hpp"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <utility>

namespace scv2sim {
namespace {

using google::protobuf::util::MessageDifferencer;

// Each replica is one entry of every status message, so a typo of a few zeros must not make the
// simulator build messages of millions of entries.
constexpr std::uint32_t max_replicas = 1000;

Refusal invalid(std::string message) {
    return {Refusal::Code::invalid_argument, std::move(message)};
}
Refusal precondition(std::string message) {
    return {Refusal::Code::failed_precondition, std::move(message)};
}

// Pipelines are compared as sent: the version and uid are the scheduler's, not the client's.
bool same_pipeline(const sched::Pipeline& stored, const sched::Pipeline& sent) {
    sched::Pipeline a = stored;
    sched::Pipeline b = sent;
    for (sched::Pipeline* p : {&a, &b}) {
        p->clear_version();
        p->clear_uid();
    }
    return MessageDifferencer::Equals(a, b);
}

}  // namespace

Registry::Registry(RegistryConfig config)
    : config_(std::move(config)),
      steady_epoch_(SteadyClock::now()),
      wall_epoch_(std::chrono::system_clock::now()) {}

Refused Registry::loaded(Refused refused, Target::Kind kind, const std::string& name) const {
    if (!refused && on_load_) on_load_(Target{kind, name});
    return refused;
}

Refused Registry::load_model(const sched::Model& model) {
    return loaded(add_model(model), Target::Kind::model, model.meta().name());
}

Refused Registry::load_pipeline(const sched::Pipeline& pipeline) {
    return loaded(add_pipeline(pipeline), Target::Kind::pipeline, pipeline.name());
}

Refused Registry::add_model(const sched::Model& model) {
    const std::string& name = model.meta().name();
    if (name.empty()) return invalid("model.meta.name is empty");
    if (model.deploymentspec().replicas() > max_replicas)
        return invalid("model " + name + ": deploymentSpec.replicas is " +
                       std::to_string(model.deploymentspec().replicas()) + ", scv2-sim has " +
                       std::to_string(max_replicas) + " server replicas at most");
    const TimePoint now = SteadyClock::now();
    const std::lock_guard lock(mutex_);
    if (const auto it = models_.find(name); it != models_.end()) {
        ModelRecord& r = it->second;
        if (!r.unloaded_at) {
            ModelVersion& latest = r.versions.back();
            if (MessageDifferencer::Equals(latest.defn.modelspec(), model.modelspec())) {
                // Replicas or metadata only: the running version changes, as a scale does.
                latest.defn = model;
            } else {
                const std::uint32_t next = latest.number + 1;
                r.versions.push_back({next, model, now});
            }
            return std::nullopt;
        }
        if (phase(r, r.versions.size() - 1, now).phase != ModelPhase::terminated)
            return precondition("model " + name +
                                " is being unloaded; load it again once it is ModelTerminated");
        models_.erase(it);  // a terminated model is loaded afresh, from version 1
    }
    const auto& failing = config_.fail_models;
    const bool fails = std::find(failing.begin(), failing.end(), name) != failing.end();
    models_.emplace(name, ModelRecord{{ModelVersion{1, model, now}}, std::nullopt, fails});
    return std::nullopt;
}

Refused Registry::unload_model(const std::string& name) {
    const TimePoint now = SteadyClock::now();
    const std::lock_guard lock(mutex_);
    ModelRecord* r = find(models_, name);
    if (!r) return precondition("model '" + name + "' not found");
    if (!r->unloaded_at) r->unloaded_at = now;
    return std::nullopt;
}

Refused Registry::add_pipeline(const sched::Pipeline& pipeline) {
    const std::string& name = pipeline.name();
    if (name.empty()) return invalid("pipeline.name is empty");
    const TimePoint now = SteadyClock::now();
    const std::lock_guard lock(mutex_);
    if (const auto it = pipelines_.find(name); it != pipelines_.end()) {
        PipelineRecord& r = it->second;
        if (!r.unloaded_at) {
            if (same_pipeline(r.versions.back().defn, pipeline)) return std::nullopt;
            PipelineVersion next{r.versions.back().number + 1, pipeline, now};
            next.defn.set_version(next.number);
            r.versions.push_back(std::move(next));
            return std::nullopt;
        }
        if (phase(r, r.versions.size() - 1, now).phase != PipelinePhase::terminated)
            return precondition("pipeline " + name +
                                " is being unloaded; load it again once it is PipelineTerminated");
        pipelines_.erase(it);
    }
    PipelineVersion first{1, pipeline, now};
    first.defn.set_version(1);
    pipelines_.emplace(name, PipelineRecord{{std::move(first)}, std::nullopt});
    return std::nullopt;
}

Refused Registry::unload_pipeline(const std::string& name) {
    const TimePoint now = SteadyClock::now();
    const std::lock_guard lock(mutex_);
    PipelineRecord* r = find(pipelines_, name);
    if (!r) return precondition("pipeline '" + name + "' not found");
    if (!r->unloaded_at) r->unloaded_at = now;
    return std::nullopt;
}

Refused Registry::start_experiment(const sched::Experiment& experiment) {
    const std::string& name = experiment.name();
    if (name.empty()) return invalid("experiment.name is empty");
    const TimePoint now = SteadyClock::now();
    const std::lock_guard lock(mutex_);
    if (const ExperimentRecord* r = find(experiments_, name);
        r && !r->stopped_at && MessageDifferencer::Equals(r->defn, experiment))
        return std::nullopt;  // already started as it is: its delay does not begin again
    experiments_.insert_or_assign(name, ExperimentRecord{experiment, now, std::nullopt});
    return std::nullopt;
}

Refused Registry::stop_experiment(const std::string& name) {
    const TimePoint now = SteadyClock::now();
    const std::lock_guard lock(mutex_);
    ExperimentRecord* r = find(experiments_, name);
    if (!r) return precondition("experiment '" + name + "' not found");
    if (!r->stopped_at) r->stopped_at = now;
    return std::nullopt;
}

bool Registry::serves(const Target& target) const {
    if (!filters()) return true;
    const TimePoint now = SteadyClock::now();
    const std::lock_guard lock(mutex_);
    switch (target.kind) {
    case Target::Kind::model:
        return model_serves(target.name, now);
    case Target::Kind::pipeline:
        return pipeline_serves(target.name, now);
    case Target::Kind::experiment: {
        const ExperimentRecord* r = find(experiments_, target.name);
        return r && active(*r, now);
    }
    }
    return false;
}

// "m" is model m whatever its version; "m_N" its version N, "m_0" any version (the scheduler
// proxy's name). A model really called "m_1" wins over version 1 of "m".
bool Registry::model_serves(std::string_view name, TimePoint now) const {
    if (const ModelRecord* r = find(models_, name)) return available_version(*r, now) != nullptr;
    const auto split = split_version(name);
    if (!split) return false;
    const ModelRecord* r = find(models_, split->first);
    if (!r) return false;
    const ModelVersion* v = available_version(*r, now);
    return v && (split->second == 0 || split->second == v->number);
}

bool Registry::pipeline_serves(std::string_view name, TimePoint now) const {
    const auto ready_version = [&](const PipelineRecord& r) -> const PipelineVersion* {
        for (std::size_t i = r.versions.size(); i-- > 0;)
            if (phase(r, i, now).phase == PipelinePhase::ready) return &r.versions[i];
        return nullptr;
    };
    if (const PipelineRecord* r = find(pipelines_, name)) return ready_version(*r) != nullptr;
    const auto split = split_version(name);
    if (!split) return false;
    const PipelineRecord* r = find(pipelines_, split->first);
    if (!r) return false;
    const PipelineVersion* v = ready_version(*r);
    return v && (split->second == 0 || split->second == v->number);
}

std::size_t Registry::available_models() const {
    const TimePoint now = SteadyClock::now();
    const std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(models_.begin(), models_.end(), [&](const auto& entry) {
            return available_version(entry.second, now) != nullptr;
        }));
}

}  // namespace scv2sim
