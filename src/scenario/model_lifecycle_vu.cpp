// load_predict_unload and pipeline (suite sections 1.6 and 1.7): one model, and for pipeline a
// same-named one-step pipeline, through load, inference and unload in every iteration.
#include "lifecycle_vu.hpp"

namespace inferload::scenario {
namespace {

using load::IterationEnd;

class ModelLifecycleVu final : public LifecycleVu {
 public:
  ModelLifecycleVu(LifecycleWorker& w, const load::VuIdentity& id) : LifecycleVu(w, id) {}

  runtime::Task<IterationEnd> iterate(const load::IterationStart& start_ref) override {
    const load::IterationStart started = start_ref;  // the caller's copy may not outlive a suspension
    const std::uint32_t id = scv2::iteration_model(w_.next_iteration_in_test());
    const scv2::ModelDefinition m = model(plan_.model_prefix + std::to_string(id));
    const bool pipeline = plan_.kind == scv2::IterationKind::pipeline_lifecycle;
    if (plan_.load) {
      if (const StepEnd e = co_await steps_->load_model(m); e != StepEnd::done) co_return end_of(e);
      if (pipeline) {
        if (const StepEnd e = co_await steps_->load_pipeline(m.name); e != StepEnd::done) co_return end_of(e);
      }
    }
    const IterationEnd inferred = co_await infer({0, id}, started);
    if (inferred == IterationEnd::interrupted) co_return inferred;
    // Unloaded even when the process ran out of sockets for inference: the scheduler's connection
    // is open already, and a model left loaded would outlive the test.
    if (plan_.unload) {
      if (const StepEnd e = co_await steps_->unload_model(m.name); e != StepEnd::done) co_return end_of(e);
      if (pipeline) {
        if (const StepEnd e = co_await steps_->unload_pipeline(m.name); e != StepEnd::done) co_return end_of(e);
      }
    }
    co_return inferred;
  }
};

}  // namespace

std::unique_ptr<load::VuProgram> make_model_lifecycle_vu(LifecycleWorker& w, const load::VuIdentity& id) {
  return std::make_unique<ModelLifecycleVu>(w, id);
}

}  // namespace inferload::scenario
