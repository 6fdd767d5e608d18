#include "data_plane_calls.hpp"

#include "inferload/grpc/call.hpp"
#include "inferload/http2/connection_pool.hpp"

namespace inferload::scenario {

using load::IterationEnd;
using metrics::RequestFate;

runtime::Task<IterationEnd> rest_calls(CallSite site, http1::Client& client, scv2::RestRequestBuffer& buffer,
                                       scv2::Rng& rng, scv2::ModelPick pick, load::IterationStart start) {
  for (int k = 0; k < site.plan.http_iterations; ++k) {
    // Asked for every call: a request id, when there is one, is new each time.
    const http1::RequestTemplate& request = site.plan.targets->rest(pick, buffer, rng);
    const http1::Exchange x = co_await client.exchange(request);
    if (record_rest(site.metrics, site.shard, x, start, pick) == RequestFate::interrupted) co_return IterationEnd::interrupted;
    if (x.failure == net::Failure::no_resources) co_return IterationEnd::out_of_resources;
  }
  co_return IterationEnd::completed;
}

runtime::Task<IterationEnd> grpc_calls_on_new_connection(CallSite site, scv2::GrpcRequestBuffer& buffer,
                                                         grpc::MessageReader& reader, scv2::ModelPick pick,
                                                         load::IterationStart start, std::uint64_t& opened,
                                                         tls::Connector* tls) {
  const InferPlan& p = site.plan;
  const grpc::RequestBytes request = p.grpc_targets->request(pick, buffer);
  http2::ConnectionPool pool(site.reactor, p.http2, p.grpc_endpoint, p.grpc_authority, 1, &site.shard.data, site.owner);
  if (tls) pool.use_tls(*tls);
  IterationEnd end = IterationEnd::completed;
  for (int k = 0; k < p.grpc_iterations; ++k) {
    const Nanos asked = runtime::now_ns();
    const Nanos deadline = asked + p.grpc_timeout;
    grpc::CallResult r;
    const http2::ConnectionPool::Acquired a = co_await pool.acquire(deadline, site.owner);
    if (a.connection) {
      r = co_await grpc::UnaryCall(*a.connection, request, reader, deadline, site.owner);
      // From when the call was asked for, as grpc-go's Invoke measures it (and InferVu).
      r.started_at = asked;
    } else {
      r = grpc::result_without_stream(a, asked, site.reactor.now());
    }
    if (record_grpc(site.metrics, site.shard, r, start, pick) == RequestFate::interrupted) {
      end = IterationEnd::interrupted;
      break;
    }
    if (r.net_failure == net::Failure::no_resources) {
      end = IterationEnd::out_of_resources;
      break;
    }
  }
  opened += pool.connections_opened();
  // An interrupted iteration's VU is going away: the socket is closed with the pool, at once.
  if (end != IterationEnd::interrupted) co_await pool.close(runtime::now_ns() + 100 * runtime::kMillisecond);
  co_return end;
}

}  // namespace inferload::scenario
