#pragma once
// What one iteration of the suite's predict_agent_oc does (section 1.9): gRPC calls to every
// model of type 0 in turn, model 0 first, each model's INFER_GRPC_ITERATIONS calls on a
// connection opened for them and closed after them, as the suite's doInfer connects around its
// loop. The plan's table holds exactly those models (scv2::ModelRule::type0_every).
#include <memory>

#include "inferload/scenario/infer_program.hpp"
#include "inferload/scenario/measured_program.hpp"

namespace inferload::scenario {

class EveryModelProgram final : public MeasuredProgram {
 public:
  explicit EveryModelProgram(InferPlan plan);
  ~EveryModelProgram() override;

  std::unique_ptr<load::WorkerProgram> make_worker(const load::WorkerContext& ctx) override;

 private:
  InferPlan plan_;
};

}  // namespace inferload::scenario
