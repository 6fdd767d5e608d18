#include "inferload/scenario/infer_program.hpp"

#include <optional>

#include "data_plane_calls.hpp"
#include "inferload/http1/client.hpp"
#include "inferload/http2/connection_pool.hpp"
#include "inferload/kafka/channel.hpp"

namespace inferload::scenario {

const char* to_string(GrpcConnections c) noexcept {
  return c == GrpcConnections::pooled ? "pooled" : "per-iteration";
}

namespace {

using load::IterationEnd;
using metrics::RequestFate;

class InferWorker;

// A VU's state, kept small: 100,000 VUs multiply it. What only REST needs (a connection, a
// request buffer) is allocated only when REST is on.
// --http-debug for a gRPC call: what k6 logs as "In Header:" and "In Trailer:" and, with =full,
// the payload (its size here: the messages are binary protobuf).
class GrpcDebugSink final : public grpc::ResponseSink {
 public:
  bool on_message(std::string_view payload) noexcept override {
    ++messages_;
    payload_bytes_ += payload.size();
    return true;
  }
  void on_header(std::string_view name, std::string_view value, bool trailers) noexcept override {
    try {
      (trailers ? trailers_ : headers_).append(name).append(": ").append(value).append("\n");
    } catch (...) {
    }
  }
  void log(net::DebugLog& log, const grpc::CallResult& r, std::uint64_t id, std::uint32_t vu) const {
    log.record("In Header:", headers_, id, vu, "HTTP/2.0");
    if (log.full()) {
      log.record("In Payload:", std::to_string(messages_) + " message(s), " + std::to_string(payload_bytes_) + " bytes",
                 id, vu, "HTTP/2.0");
    }
    log.record("In Trailer:", trailers_.empty() ? std::string("status: ") + grpc::to_string(r.status) : trailers_, id,
               vu, "HTTP/2.0");
  }

 private:
  std::string headers_, trailers_;
  std::size_t messages_ = 0, payload_bytes_ = 0;
};

enum class Protocol : std::uint8_t { rest, grpc, kafka };

class InferVu final : public load::VuProgram {
 public:
  InferVu(InferWorker& w, const load::VuIdentity& id);
  ~InferVu() override;
  runtime::Task<IterationEnd> iterate(const load::IterationStart& start) override;
  runtime::Task<bool> connect(Nanos deadline) override;

 private:
  // Adds to the worker's data_sent/data_received what the REST connection moved outside any
  // exchange (its exchanges report their own).
  void count_bytes_between_exchanges() noexcept;
  Protocol draw_protocol() noexcept;
  runtime::Task<IterationEnd> kafka_requests(scv2::ModelPick pick, load::IterationStart started);

  struct Rest {
    Rest(InferWorker& w);
    http1::Client client;
    scv2::RestRequestBuffer buffer;
  };

  InferWorker& w_;
  std::uint32_t owner_;
  std::uint32_t vu_;  // the VU's number, for --http-debug
  scv2::Rng rng_;
  std::unique_ptr<Rest> rest_;
  std::optional<scv2::GrpcRequestBuffer> grpc_buffer_;
  std::optional<grpc::MessageReader> reader_;
  std::unique_ptr<tls::Connector> grpc_tls_;  // per-iteration connections over TLS
};

class InferWorker final : public load::WorkerProgram {
 public:
  InferWorker(const InferPlan& plan, const load::WorkerContext& ctx, WorkerMeasures& state)
      : plan(plan), reactor(ctx.reactor), shard(ctx.shard), state(state) {
    if (plan.kafka) channel = &plan.kafka->channel(static_cast<std::size_t>(ctx.index));
    if (plan.grpc_targets && plan.grpc_mode == GrpcConnections::pooled) {
      pool.emplace(reactor, plan.http2, plan.grpc_endpoint, plan.grpc_authority,
                   static_cast<std::size_t>(plan.grpc_pool_size), &shard.data);
      if (plan.grpc_tls) pool->use_tls(plan.grpc_tls);
    }
  }
  ~InferWorker() override {
    if (pool) {
      state.grpc_connections_opened += pool->connections_opened();
      for (const auto& c : pool->own_tls()) state.count_handshakes(c.get());
    }
  }
  std::unique_ptr<load::VuProgram> make_vu(const load::VuIdentity& id) override {
    return std::make_unique<InferVu>(*this, id);
  }
  runtime::Task<void> start() override {
    if (channel) channel->attach(reactor);
    // Connections are opened before the VUs start, as k6 connects in its (unmeasured) setup:
    // the first calls do not all queue behind the handshakes.
    if (pool) co_await pool->open(runtime::now_ns() + std::min<Nanos>(plan.grpc_timeout, 10 * runtime::kSecond));
  }
  runtime::Task<void> finish() override {
    // GOAWAYs and resets still owed to the server go out before the sockets close.
    if (pool) co_await pool->close(runtime::now_ns() + 200 * runtime::kMillisecond);
    // Every VU is gone, so no request is in flight: what still arrives is late, and dropped.
    if (channel) channel->detach();
  }

  const InferPlan& plan;
  runtime::Reactor& reactor;
  load::Shard& shard;
  WorkerMeasures& state;
  std::optional<http2::ConnectionPool> pool;
  kafka::Channel* channel = nullptr;
};

InferVu::Rest::Rest(InferWorker& w)
    : client(w.reactor, w.plan.http_endpoint, w.plan.http_timeout, &w.plan.http_tls), buffer(*w.plan.targets) {}

InferVu::InferVu(InferWorker& w, const load::VuIdentity& id)
    : w_(w), owner_(id.owner), vu_(static_cast<std::uint32_t>(id.number)),
      rng_(w.plan.seed + static_cast<std::uint64_t>(id.number)) {
  const InferPlan& p = w.plan;
  if (p.http_iterations > 0) {
    rest_ = std::make_unique<Rest>(w);
    rest_->client.set_owner(owner_);
    rest_->client.set_debug(p.debug, vu_);
  }
  if (p.grpc_targets) {
    grpc_buffer_.emplace(*p.grpc_targets);
    reader_.emplace(p.max_message_size);
    if (p.grpc_mode == GrpcConnections::per_iteration) grpc_tls_ = make_connector(p.grpc_tls);
  }
}

runtime::Task<bool> InferVu::connect(Nanos deadline) {
  // gRPC's pooled connections are the worker's, opened in its start(); per-iteration ones are
  // the iteration's by definition.
  if (!rest_) co_return true;
  if (w_.plan.http_timeout > 0) deadline = std::min(deadline, runtime::now_ns() + w_.plan.http_timeout);
  const bool opened = co_await rest_->client.connect(deadline) == 0;
  // A TLS handshake's records are on the wire before any request, and this VU may make none.
  count_bytes_between_exchanges();
  co_return opened;
}

// The session tickets a TLS 1.3 server sends after the handshake may arrive after connect()
// returned, on a connection that then carries no exchange.
InferVu::~InferVu() {
  if (rest_) {
    count_bytes_between_exchanges();
    w_.state.count_handshakes(rest_->client.tls());
  }
  w_.state.count_handshakes(grpc_tls_.get());
}

Protocol InferVu::draw_protocol() noexcept {
  const InferPlan& p = w_.plan;
  const bool rest = p.http_iterations > 0, grpc = p.grpc_targets != nullptr, kafka = p.kafka_targets != nullptr;
  if (!kafka) {
    // One bit of the VU's stream, as before Kafka existed, so that a seed draws as it did.
    const bool both = rest && grpc;
    return (both ? (rng_.next() >> 63) != 0 : grpc) ? Protocol::grpc : Protocol::rest;
  }
  const std::uint64_t on = (rest ? 1 : 0) + (grpc ? 1 : 0) + 1;
  std::uint64_t k = on == 1 ? 0 : rng_.below(on);
  if (rest && k-- == 0) return Protocol::rest;
  if (grpc && k-- == 0) return Protocol::grpc;
  return Protocol::kafka;
}

runtime::Task<IterationEnd> InferVu::kafka_requests(scv2::ModelPick pick, load::IterationStart started) {
  const InferPlan& p = w_.plan;
  const scv2::KafkaTarget& target = p.kafka_targets->target(pick);
  kafka::Request rq{target.topic, 0, target.name, p.kafka_targets->value(pick)};
  for (int k = 0; k < p.kafka_iterations; ++k) {
    // SCv2's gateways spread their keys over the topic's partitions; so does each VU.
    rq.partition = target.topic->partitions > 1
                       ? static_cast<std::int32_t>(rng_.below(static_cast<std::uint64_t>(target.topic->partitions)))
                       : 0;
    const kafka::Outcome o = co_await w_.channel->request(rq, runtime::now_ns() + p.kafka_timeout, owner_);
    if (record_kafka(w_.state.metrics, w_.shard, o, started, pick) == RequestFate::interrupted) {
      co_return IterationEnd::interrupted;
    }
  }
  co_return IterationEnd::completed;
}

void InferVu::count_bytes_between_exchanges() noexcept {
  const http1::WireBytes b = rest_->client.take_wire_bytes();
  w_.shard.data.sent += b.sent;
  w_.shard.data.received += b.received;
}

// The gRPC calls are made in this frame, the call itself embedded (grpc::UnaryCall), with no
// nested coroutine while a call is in flight: each suspended frame is memory every VU holds.
runtime::Task<IterationEnd> InferVu::iterate(const load::IterationStart& start_ref) {
  const load::IterationStart started = start_ref;  // the caller's copy may not outlive a suspension
  const InferPlan& p = w_.plan;
  const scv2::ModelPick pick = p.targets->pick(rng_);
  if (p.skip_infer) co_return IterationEnd::completed;
  const Protocol protocol = draw_protocol();
  if (protocol == Protocol::kafka) co_return co_await kafka_requests(pick, started);
  if (protocol == Protocol::rest) {
    co_return co_await rest_calls({p, w_.reactor, w_.state.metrics, w_.shard, owner_}, rest_->client, rest_->buffer,
                                  rng_, pick, started);
  }

  const grpc::RequestBytes request = p.grpc_targets->request(pick, *grpc_buffer_);
  // Per-iteration connections, as SCv2's k6 scripts open them: allocated with the iteration.
  std::unique_ptr<http2::ConnectionPool> own;
  if (p.grpc_mode == GrpcConnections::per_iteration) {
    own = std::make_unique<http2::ConnectionPool>(w_.reactor, p.http2, p.grpc_endpoint, p.grpc_authority, 1,
                                                  &w_.shard.data, owner_);
    if (grpc_tls_) own->use_tls(*grpc_tls_);
  }
  http2::ConnectionPool& pool = own ? *own : *w_.pool;
  IterationEnd end = IterationEnd::completed;
  for (int k = 0; k < p.grpc_iterations; ++k) {
    const Nanos start = runtime::now_ns();
    const Nanos deadline = start + p.grpc_timeout;
    http2::Connection* connection = nullptr;
    grpc::CallResult r;
    {
      const http2::ConnectionPool::Acquired a = co_await pool.acquire(deadline, owner_);
      connection = a.connection;
      if (!connection) r = grpc::result_without_stream(a, start, w_.reactor.now());
    }
    if (connection) {
      std::optional<GrpcDebugSink> debug;
      std::uint64_t debug_id = 0;
      if (p.debug) {
        debug.emplace();
        debug_id = p.debug->next_id();
        p.debug->record("Out Header:", p.grpc_targets->header_text(pick), debug_id, vu_, "HTTP/2.0");
      }
      r = co_await grpc::UnaryCall(*connection, request, *reader_, deadline, owner_, debug ? &*debug : nullptr);
      if (debug) debug->log(*p.debug, r, debug_id, vu_);
      // Measured from when the call was asked for, as grpc-go's Invoke does: the wait for a
      // free stream (the server's stream limit) is part of what the caller sees.
      r.started_at = start;
    }
    if (record_grpc(w_.state.metrics, w_.shard, r, started, pick) == RequestFate::interrupted) {
      end = IterationEnd::interrupted;
      break;
    }
    if (r.net_failure == net::Failure::no_resources) {
      end = IterationEnd::out_of_resources;
      break;
    }
  }
  if (own) {
    w_.state.grpc_connections_opened += own->connections_opened();
    if (end != IterationEnd::interrupted) co_await own->close(runtime::now_ns() + 100 * runtime::kMillisecond);
  }
  co_return end;
}

}  // namespace

InferProgram::InferProgram(InferPlan plan) : plan_(std::move(plan)) {}
InferProgram::~InferProgram() = default;

std::unique_ptr<load::WorkerProgram> InferProgram::make_worker(const load::WorkerContext& ctx) {
  return std::make_unique<InferWorker>(plan_, ctx, measures(ctx.index));
}

}  // namespace inferload::scenario
