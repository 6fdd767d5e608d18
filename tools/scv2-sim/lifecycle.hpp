#pragma once
// The life of a model version, a pipeline version and an experiment as functions of time: the
// simulated scheduler keeps only when things were asked for and works out their state when it is
// read, so nothing needs a timer or a thread.

#include <chrono>
#include <optional>

namespace scv2sim {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = std::chrono::nanoseconds;

enum class ModelPhase { progressing, available, failed, terminating, terminated };
enum class PipelinePhase { creating, ready, failed, terminating, terminated };

template <class Phase>
struct PhaseAt {
    Phase phase;
    TimePoint since;  // when the phase began
};

// A version loaded at `loaded_at` is progressing for `delay`, then available (or failed when the
// model `fails`). A later version that became available at `replaced_at` replaces it; an unload
// at `unloaded_at` terminates it after `delay`.
PhaseAt<ModelPhase> model_phase(TimePoint loaded_at, std::optional<TimePoint> replaced_at,
                                std::optional<TimePoint> unloaded_at, bool fails, Duration delay,
                                TimePoint now);

// How the models named by a pipeline's steps stand at one moment.
struct StepModels {
    bool all_available = false;
    bool any_failed = false;
    TimePoint settled_at{};  // when the last became available, or the first failed
};

// A pipeline version is created for `delay`; then it is ready once its step models are available,
// failed when one of them failed, else still creating.
PhaseAt<PipelinePhase> pipeline_phase(TimePoint loaded_at, std::optional<TimePoint> replaced_at,
                                      std::optional<TimePoint> unloaded_at, Duration delay,
                                      const StepModels& steps, TimePoint now);

// An experiment is active from `delay` after its start while all its candidates exist, and stops
// at once.
bool experiment_active(TimePoint started_at, std::optional<TimePoint> stopped_at, Duration delay,
                       bool candidates_exist, TimePoint now);

}  // namespace scv2sim
