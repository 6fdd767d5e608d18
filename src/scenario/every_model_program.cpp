#include "inferload/scenario/every_model_program.hpp"

#include "data_plane_calls.hpp"

namespace inferload::scenario {

namespace {

using load::IterationEnd;

struct EveryModelWorker final : load::WorkerProgram {
  EveryModelWorker(const InferPlan& plan, const load::WorkerContext& ctx, WorkerMeasures& state)
      : plan(plan), reactor(ctx.reactor), shard(ctx.shard), state(state) {}
  std::unique_ptr<load::VuProgram> make_vu(const load::VuIdentity& id) override;

  const InferPlan& plan;
  runtime::Reactor& reactor;
  load::Shard& shard;
  WorkerMeasures& state;
};

class EveryModelVu final : public load::VuProgram {
 public:
  EveryModelVu(EveryModelWorker& w, const load::VuIdentity& id)
      : w_(w),
        owner_(id.owner),
        buffer_(*w.plan.grpc_targets),
        reader_(w.plan.max_message_size),
        tls_(make_connector(w.plan.grpc_tls)) {}
  ~EveryModelVu() override { w_.state.count_handshakes(tls_.get()); }

  runtime::Task<IterationEnd> iterate(const load::IterationStart& start_ref) override {
    const load::IterationStart started = start_ref;  // the caller's copy may not outlive a suspension
    const CallSite site{w_.plan, w_.reactor, w_.state.metrics, w_.shard, owner_};
    const std::uint32_t models = w_.plan.targets->types().front().models;
    for (std::uint32_t id = 0; id < models; ++id) {
      const IterationEnd end = co_await grpc_calls_on_new_connection(site, buffer_, reader_, {0, id}, started,
                                                                     w_.state.grpc_connections_opened, tls_.get());
      if (end != IterationEnd::completed) co_return end;
    }
    co_return IterationEnd::completed;
  }

 private:
  EveryModelWorker& w_;
  std::uint32_t owner_;
  scv2::GrpcRequestBuffer buffer_;
  grpc::MessageReader reader_;
  std::unique_ptr<tls::Connector> tls_;
};

std::unique_ptr<load::VuProgram> EveryModelWorker::make_vu(const load::VuIdentity& id) {
  return std::make_unique<EveryModelVu>(*this, id);
}

}  // namespace

EveryModelProgram::EveryModelProgram(InferPlan plan) : plan_(std::move(plan)) {}
EveryModelProgram::~EveryModelProgram() = default;

std::unique_ptr<load::WorkerProgram> EveryModelProgram::make_worker(const load::WorkerContext& ctx) {
  return std::make_unique<EveryModelWorker>(plan_, ctx, measures(ctx.index));
}

}  // namespace inferload::scenario
