#include "inferload/scenario/lifecycle_program.hpp"

#include "data_plane_calls.hpp"
#include "lifecycle_vu.hpp"

namespace inferload::scenario {

LifecycleWorker::LifecycleWorker(LifecycleProgram& program, const load::WorkerContext& ctx,
                                 WorkerMeasures& state)
    : program(program),
      plan(program.plan()),
      reactor(ctx.reactor),
      shard(ctx.shard),
      state(state),
      iterations(ctx.iterations) {}

std::unique_ptr<load::VuProgram> LifecycleWorker::make_vu(const load::VuIdentity& id) {
  if (plan.kind == scv2::IterationKind::experiment_lifecycle) return make_experiment_vu(*this, id);
  return make_model_lifecycle_vu(*this, id);
}

runtime::Task<void> LifecycleWorker::start() {
  if (plan.load || plan.unload) {
    scheduler = std::make_unique<scv2::SchedulerClient>(reactor, plan.scheduler, plan.scheduler_authority,
                                                         plan.rpc_timeout);
  }
  co_return;
}

runtime::Task<void> LifecycleWorker::finish() {
  if (scheduler) co_await scheduler->close(runtime::now_ns() + 200 * runtime::kMillisecond);
  scheduler.reset();
}

LifecycleVu::LifecycleVu(LifecycleWorker& w, const load::VuIdentity& id)
    : w_(w),
      plan_(w.plan),
      owner_(id.owner),
      spec_(scv2::model_spec(w.plan.model_type, id.id_in_test)),
      rng_(w.plan.data.seed + static_cast<std::uint64_t>(id.number)) {
  if (w.scheduler) steps_.emplace(*w.scheduler, w.reactor, w.state.metrics.control, plan_.waits, owner_, &w.shard);
  const InferPlan& p = plan_.data;
  if (p.http_iterations > 0) {
    rest_client_ = std::make_unique<http1::Client>(w.reactor, p.http_endpoint, p.http_timeout, &p.http_tls);
    rest_client_->set_owner(owner_);
    rest_buffer_.emplace(*p.targets);
  }
  if (p.grpc_targets && p.grpc_iterations > 0) {
    grpc_buffer_.emplace(*p.grpc_targets);
    reader_.emplace(p.max_message_size);
    grpc_tls_ = make_connector(p.grpc_tls);
  }
}

LifecycleVu::~LifecycleVu() {
  if (rest_client_) w_.state.count_handshakes(rest_client_->tls());
  w_.state.count_handshakes(grpc_tls_.get());
}

scv2::ModelDefinition LifecycleVu::model(std::string name) const {
  scv2::ModelDefinition m;
  m.name = std::move(name);
  m.uri = spec_.uri;
  m.requirements = spec_.requirements;
  m.memory_bytes = plan_.memory_bytes;
  m.replicas = plan_.replicas;
  return m;
}

runtime::Task<load::IterationEnd> LifecycleVu::infer(scv2::ModelPick pick, load::IterationStart start) {
  const CallSite site{plan_.data, w_.reactor, w_.state.metrics, w_.shard, owner_};
  load::IterationEnd end = load::IterationEnd::completed;
  if (rest_client_) end = co_await rest_calls(site, *rest_client_, *rest_buffer_, rng_, pick, start);
  if (end == load::IterationEnd::completed && grpc_buffer_) {
    end = co_await grpc_calls_on_new_connection(site, *grpc_buffer_, *reader_, pick, start,
                                                w_.state.grpc_connections_opened, grpc_tls_.get());
  }
  co_return end;
}

LifecycleProgram::LifecycleProgram(LifecyclePlan plan) : plan_(std::move(plan)) {}
LifecycleProgram::~LifecycleProgram() = default;

std::unique_ptr<load::WorkerProgram> LifecycleProgram::make_worker(const load::WorkerContext& ctx) {
  return std::make_unique<LifecycleWorker>(*this, ctx, measures(ctx.index));
}

}  // namespace inferload::scenario
