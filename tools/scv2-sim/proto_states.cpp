#include "proto_states.hpp"

namespace scv2sim {

sched::ModelStatus::ModelState to_model_state(ModelPhase phase) {
    switch (phase) {
    case ModelPhase::progressing: return sched::ModelStatus::ModelProgressing;
    case ModelPhase::available: return sched::ModelStatus::ModelAvailable;
    case ModelPhase::failed: return sched::ModelStatus::ModelFailed;
    case ModelPhase::terminating: return sched::ModelStatus::ModelTerminating;
    case ModelPhase::terminated: return sched::ModelStatus::ModelTerminated;
    }
    return sched::ModelStatus::ModelStateUnknown;
}

sched::ModelReplicaStatus::ModelReplicaState to_replica_state(ModelPhase phase) {
    switch (phase) {
    case ModelPhase::progressing: return sched::ModelReplicaStatus::Loading;
    case ModelPhase::available: return sched::ModelReplicaStatus::Available;
    case ModelPhase::failed: return sched::ModelReplicaStatus::LoadFailed;
    case ModelPhase::terminating: return sched::ModelReplicaStatus::Unloading;
    case ModelPhase::terminated: return sched::ModelReplicaStatus::Unloaded;
    }
    return sched::ModelReplicaStatus::ModelReplicaStateUnknown;
}

sched::PipelineVersionState::PipelineStatus to_pipeline_status(PipelinePhase phase) {
    switch (phase) {
    case PipelinePhase::creating: return sched::PipelineVersionState::PipelineCreating;
    case PipelinePhase::ready: return sched::PipelineVersionState::PipelineReady;
    case PipelinePhase::failed: return sched::PipelineVersionState::PipelineFailed;
    case PipelinePhase::terminating: return sched::PipelineVersionState::PipelineTerminating;
    case PipelinePhase::terminated: return sched::PipelineVersionState::PipelineTerminated;
    }
    return sched::PipelineVersionState::PipelineStatusUnknown;
}

}  // namespace scv2sim
