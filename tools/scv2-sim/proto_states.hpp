#pragma once
// The scheduler API's names for the phases of lifecycle.hpp.

#include "lifecycle.hpp"
#include "scheduler.pb.h"

namespace scv2sim {

namespace sched = seldon::mlops::scheduler;

sched::ModelStatus::ModelState to_model_state(ModelPhase phase);
sched::ModelReplicaStatus::ModelReplicaState to_replica_state(ModelPhase phase);
sched::PipelineVersionState::PipelineStatus to_pipeline_status(PipelinePhase phase);

}  // namespace scv2sim
