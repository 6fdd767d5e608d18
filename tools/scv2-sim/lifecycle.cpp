#include "lifecycle.hpp"

#include <algorithm>

namespace scv2sim {

PhaseAt<ModelPhase> model_phase(TimePoint loaded_at, std::optional<TimePoint> replaced_at,
                                std::optional<TimePoint> unloaded_at, bool fails, Duration delay,
                                TimePoint now) {
    // Replaced before any unload: the unload found this version already gone.
    if (replaced_at && *replaced_at <= now && (!unloaded_at || *replaced_at <= *unloaded_at))
        return {ModelPhase::terminated, *replaced_at};
    if (unloaded_at && *unloaded_at <= now) {
        const TimePoint gone = *unloaded_at + delay;
        if (now < gone) return {ModelPhase::terminating, *unloaded_at};
        return {ModelPhase::terminated, gone};
    }
    const TimePoint loaded = loaded_at + delay;
    if (now < loaded) return {ModelPhase::progressing, loaded_at};
    return {fails ? ModelPhase::failed : ModelPhase::available, loaded};
}

PhaseAt<PipelinePhase> pipeline_phase(TimePoint loaded_at, std::optional<TimePoint> replaced_at,
                                      std::optional<TimePoint> unloaded_at, Duration delay,
                                      const StepModels& steps, TimePoint now) {
    if (replaced_at && *replaced_at <= now && (!unloaded_at || *replaced_at <= *unloaded_at))
        return {PipelinePhase::terminated, *replaced_at};
    if (unloaded_at && *unloaded_at <= now) {
        const TimePoint gone = *unloaded_at + delay;
        if (now < gone) return {PipelinePhase::terminating, *unloaded_at};
        return {PipelinePhase::terminated, gone};
    }
    const TimePoint created = loaded_at + delay;
    if (now < created) return {PipelinePhase::creating, loaded_at};
    if (steps.any_failed) return {PipelinePhase::failed, std::max(created, steps.settled_at)};
    if (steps.all_available) return {PipelinePhase::ready, std::max(created, steps.settled_at)};
    return {PipelinePhase::creating, loaded_at};
}

bool experiment_active(TimePoint started_at, std::optional<TimePoint> stopped_at, Duration delay,
                       bool candidates_exist, TimePoint now) {
    return !stopped_at && now >= started_at + delay && candidates_exist;
}

}  // namespace scv2sim
