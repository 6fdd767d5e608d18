#pragma once
// The inference calls of one iteration, made and recorded as InferProgram makes them, for every
// program whose iterations call models. InferVu makes its gRPC calls in its own frame instead of
// through grpc_calls_on_new_connection: a nested frame per suspended call is memory that every
// one of 100,000 VUs would hold, while the programs here run a VU per model being loaded.
#include <cstdint>

#include "inferload/grpc/message.hpp"
#include "inferload/http1/client.hpp"
#include "inferload/load/program.hpp"
#include "inferload/scenario/infer_program.hpp"
#include "inferload/scenario/protocol_metrics.hpp"

namespace inferload::scenario {

// Who calls, with what plan, and where the calls are recorded.
struct CallSite {
  const InferPlan& plan;
  runtime::Reactor& reactor;
  ProtocolShard& metrics;
  load::Shard& shard;
  std::uint32_t owner;  // the calling VU: its hard stop ends the calls
};

// plan.http_iterations REST calls to `pick`, one after another on the VU's keep-alive `client`.
runtime::Task<load::IterationEnd> rest_calls(CallSite site, http1::Client& client, scv2::RestRequestBuffer& buffer,
                                             scv2::Rng& rng, scv2::ModelPick pick, load::IterationStart start);

// plan.grpc_iterations gRPC calls to `pick` on a connection opened for them and closed after
// them, as the suite's doInfer connects around its loop; `opened` counts the connection. `tls`:
// the VU's connector when gRPC goes over TLS (null otherwise), so that it resumes its session.
runtime::Task<load::IterationEnd> grpc_calls_on_new_connection(CallSite site, scv2::GrpcRequestBuffer& buffer,
                                                               grpc::MessageReader& reader, scv2::ModelPick pick,
                                                               load::IterationStart start, std::uint64_t& opened,
                                                               tls::Connector* tls);

// A VU's connector for `peer`, null when the peer is plain TCP.
inline std::unique_ptr<tls::Connector> make_connector(const tls::Peer& peer) {
  return peer ? std::make_unique<tls::Connector>(peer) : nullptr;
}

}  // namespace inferload::scenario
