#pragma once
// What one iteration of SCv2's infer scenarios does (suite sections 1.2-1.5): pick a model from
// the plan's table (a type and a model uniformly, or model_constant_rate's range of type 0), then
// REST, gRPC or Kafka, then the plan's number of sequential calls of that protocol, each
// recorded. The scripts' protocol rules come down to those numbers: infer_constant_vu and
// infer_multiple_rates draw among the protocols whose INFER_*_ITERATIONS are on, each as likely
// (50/50 for REST and gRPC, as the suite does); the constant-rate scripts turn on only the
// protocol INFER_TYPE names (model_constant_rate with one call). REST runs on one keep-alive
// connection per VU; gRPC shares a worker's pool of HTTP/2 connections, or opens and closes one
// around each iteration's calls as the suite's scripts do; Kafka requests go through the
// worker's channel of the process's one Kafka client.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inferload/http2/connection.hpp"
#include "inferload/net/debug_log.hpp"
#include "inferload/load/program.hpp"
#include "inferload/net/endpoint.hpp"
#include "inferload/scenario/measured_program.hpp"
#include "inferload/scenario/protocol_metrics.hpp"
#include "inferload/scv2/grpc_targets.hpp"
#include "inferload/scv2/kafka_targets.hpp"
#include "inferload/scv2/targets.hpp"
#include "inferload/tls/secure_socket.hpp"

namespace inferload::scenario {

using runtime::Nanos;

enum class GrpcConnections : std::uint8_t { pooled, per_iteration };
const char* to_string(GrpcConnections c) noexcept;

struct InferPlan {
  const scv2::TargetTable* targets = nullptr;
  const scv2::GrpcTargetTable* grpc_targets = nullptr;  // null: gRPC is off
  net::ResolvedEndpoint http_endpoint;
  net::ResolvedEndpoint grpc_endpoint;
  std::string grpc_authority;
  // Over TLS when set (https://, --grpc-tls): each VU's connections resume its previous session.
  tls::Peer http_tls;
  tls::Peer grpc_tls;
  // Kafka direct mode: the client (one per process, a channel per worker) and each model's
  // topic; both null when Kafka is off.
  kafka::Client* kafka = nullptr;
  const scv2::KafkaTargetTable* kafka_targets = nullptr;
  // With several on, each iteration draws one of them, each as likely.
  int http_iterations = 1;   // REST calls per iteration; 0: REST is off
  int grpc_iterations = 0;   // gRPC calls per iteration; 0: gRPC is off
  int kafka_iterations = 0;  // Kafka requests per iteration; 0: Kafka is off
  Nanos kafka_timeout = 60 * runtime::kSecond;
  Nanos http_timeout = 60 * runtime::kSecond;
  Nanos grpc_timeout = 120 * runtime::kSecond;
  GrpcConnections grpc_mode = GrpcConnections::pooled;
  int grpc_pool_size = 1;  // connections per worker, pooled mode
  http2::ConnectionSettings http2;
  std::uint32_t max_message_size = grpc::kDefaultMaxMessageSize;
  std::uint64_t seed = 0;
  net::DebugLog* debug = nullptr;  // --http-debug: every exchange logged; null when off
  // SKIP_INFER: an iteration picks its model and sends nothing, as the suite's doInfer does.
  bool skip_infer = false;
};

class InferProgram final : public MeasuredProgram {
 public:
  explicit InferProgram(InferPlan plan);
  ~InferProgram() override;

  std::unique_ptr<load::WorkerProgram> make_worker(const load::WorkerContext& ctx) override;
  const InferPlan& plan() const noexcept { return plan_; }

 private:
  InferPlan plan_;
};

}  // namespace inferload::scenario
