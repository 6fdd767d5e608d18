// experiment (suite section 1.8) with the scheduler's current field names: the suite's script
// still sends defaultModel and candidates' modelName, which the proto renamed to default and name
// in 2022, so its StartExperiment is refused by any current scheduler.
#include "lifecycle_vu.hpp"

namespace inferload::scenario {
namespace {

using load::IterationEnd;

constexpr std::uint32_t kCandidateWeight = 50;

class ExperimentVu final : public LifecycleVu {
 public:
  ExperimentVu(LifecycleWorker& w, const load::VuIdentity& id) : LifecycleVu(w, id) {}

  runtime::Task<IterationEnd> iterate(const load::IterationStart& start_ref) override {
    const load::IterationStart started = start_ref;  // the caller's copy may not outlive a suspension
    const std::uint32_t id = scv2::iteration_model(w_.next_iteration_in_test());
    const std::string number = std::to_string(id);
    const scv2::ModelDefinition first = model(plan_.model_prefix + number + "_1");
    const scv2::ModelDefinition second = model(plan_.model_prefix + number + "_2");
    const std::string experiment = plan_.experiment_prefix + number;
    if (plan_.load) {
      if (const StepEnd e = co_await steps_->load_model(first); e != StepEnd::done) co_return end_of(e);
      if (const StepEnd e = co_await steps_->load_model(second); e != StepEnd::done) co_return end_of(e);
      scv2::ExperimentDefinition x;
      x.name = experiment;
      x.default_model = first.name;
      x.candidates = {{first.name, kCandidateWeight}, {second.name, kCandidateWeight}};
      if (const StepEnd e = co_await steps_->start_experiment(x); e != StepEnd::done) co_return end_of(e);
    }
    // To model 1 by its own name: the experiment's default model, which SCv2 routes through it.
    const IterationEnd inferred = co_await infer({0, id}, started);
    if (inferred == IterationEnd::interrupted) co_return inferred;
    if (plan_.unload) {
      if (const StepEnd e = co_await steps_->unload_model(first.name); e != StepEnd::done) co_return end_of(e);
      if (const StepEnd e = co_await steps_->unload_model(second.name); e != StepEnd::done) co_return end_of(e);
      if (const StepEnd e = co_await steps_->stop_experiment(experiment); e != StepEnd::done) co_return end_of(e);
    }
    co_return inferred;
  }
};

}  // namespace

std::unique_ptr<load::VuProgram> make_experiment_vu(LifecycleWorker& w, const load::VuIdentity& id) {
  return std::make_unique<ExperimentVu>(w, id);
}

}  // namespace inferload::scenario
