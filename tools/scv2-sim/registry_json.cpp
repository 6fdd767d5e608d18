// GET /sim/models: what the scheduler was asked to load, field by field as the client sent it,
// so a test can check a client's requests without a gRPC server of its own.
#include <boost/json.hpp>

#include "proto_states.hpp"
#include "registry.hpp"

namespace json = boost::json;

namespace scv2sim {

std::string Registry::to_json() const {
    const TimePoint now = SteadyClock::now();
    const std::lock_guard lock(mutex_);
    json::array models;
    for (const auto& [name, r] : models_) {
        const ModelVersion& v = r.versions.back();
        const sched::ModelSpec& spec = v.defn.modelspec();
        json::array requirements;
        for (const std::string& req : spec.requirements()) requirements.emplace_back(req);
        json::value memory = nullptr;  // proto3 optional: absent is not 0
        if (spec.has_memorybytes()) memory = spec.memorybytes();
        models.push_back(json::object{
            {"name", name},
            {"version", v.number},
            {"state", sched::ModelStatus::ModelState_Name(
                          to_model_state(phase(r, r.versions.size() - 1, now).phase))},
            {"uri", spec.uri()},
            {"requirements", std::move(requirements)},
            {"memory_bytes", std::move(memory)},
            {"replicas", v.defn.deploymentspec().replicas()},
        });
    }
    json::array pipelines;
    for (const auto& [name, r] : pipelines_) {
        json::array steps;
        for (const sched::PipelineStep& step : r.versions.back().defn.steps())
            steps.emplace_back(step.name());
        pipelines.push_back(json::object{
            {"name", name},
            {"state", sched::PipelineVersionState::PipelineStatus_Name(
                          to_pipeline_status(phase(r, r.versions.size() - 1, now).phase))},
            {"steps", std::move(steps)},
        });
    }
    json::array experiments;
    for (const auto& [name, r] : experiments_) {
        json::array candidates;
        for (const sched::ExperimentCandidate& c : r.defn.candidates())
            candidates.push_back(json::object{{"name", c.name()}, {"weight", c.weight()}});
        json::value default_model = nullptr;
        if (r.defn.has_default_()) default_model = r.defn.default_();
        experiments.push_back(json::object{
            {"name", name},
            {"active", active(r, now)},
            {"default", std::move(default_model)},
            {"candidates", std::move(candidates)},
        });
    }
    return json::serialize(json::object{
        {"models", std::move(models)},
        {"pipelines", std::move(pipelines)},
        {"experiments", std::move(experiments)},
    });
}

}  // namespace scv2sim
