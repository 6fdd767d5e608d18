#include "inferload/scenario/control_setup.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "inferload/http1/client.hpp"
#include "inferload/net/failure.hpp"
#include "inferload/runtime/wait_group.hpp"
#include "inferload/scenario/protocol_metrics.hpp"

namespace inferload::scenario {
namespace {

std::string seconds_text(Nanos ns) {
  const Nanos tenths = ns / (runtime::kSecond / 10);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
}

std::string exchange_text(const http1::Exchange& x) {
  if (x.failure != net::Failure::none) return net::k6_error_text(x.failure);
  return "HTTP " + std::to_string(x.status);
}

}  // namespace

const char* to_string(ControlOutcome o) noexcept {
  switch (o) {
    case ControlOutcome::completed: return "completed";
    case ControlOutcome::failed: return "failed";
    case ControlOutcome::timed_out: return "timed out";
    case ControlOutcome::interrupted: return "interrupted";
  }
  return "unknown";
}

// What the workers of one setup or teardown share. They run on one reactor, so plain fields do.
struct ControlRun::Shared {
  std::size_t next = 0;      // the next model to take
  Nanos deadline = 0;
  bool stop = false;         // a failure, the deadline or an interrupt ends every worker
  SetupReport* setup = nullptr;
  TeardownReport* teardown = nullptr;
  std::string waiting_for;   // the last model still not ready when the deadline passed
  runtime::WaitGroup workers;
};

ControlRun::ControlRun(runtime::Reactor& reactor, const ControlOptions& options, const net::ResolvedEndpoint& scheduler,
                       std::string scheduler_authority, const net::ResolvedEndpoint* http,
                       std::vector<ControlModel> models, metrics::SampleRing* samples)
    : reactor_(reactor), options_(options), http_(http), models_(std::move(models)), samples_(samples) {
  client_ = std::make_unique<scv2::SchedulerClient>(reactor_, scheduler, std::move(scheduler_authority),
                                                    options_.rpc_timeout, &bytes_);
  if (samples_) {
    client_->observe([this](std::string_view path, const scv2::RpcResult& r) {
      // As in k6, a call cut off by a stop has no sample.
      if (r.call.failure == grpc::CallFailure::interrupted) return;
      metrics::SampleRecord x;
      x.kind = metrics::SampleKind::phase_grpc;
      x.scenario = phase_;
      x.at = r.call.ended_at;
      x.duration = r.call.duration();
      x.target_id = scv2::control_method_index(path);
      x.status = static_cast<std::uint16_t>(r.call.status);
      x.failure = static_cast<std::uint8_t>(r.call.failure);
      x.detail = static_cast<std::uint8_t>(r.call.net_failure);
      samples_->push(x);
    });
  }
  plane_ = std::make_unique<scv2::ControlPlane>(*client_, options_.api);
  progress_.total.store(models_.size(), std::memory_order_relaxed);
}

ControlRun::~ControlRun() = default;

void ControlRun::sample_http(const ControlModel& m, const http1::Exchange& x, bool warmup) noexcept {
  bytes_.sent += x.bytes_sent;
  bytes_.received += x.bytes_received;
  if (!samples_ || x.failure == net::Failure::interrupted) return;
  metrics::SampleRecord r = rest_record(x);
  r.kind = metrics::SampleKind::phase_http;
  r.scenario = phase_;
  r.target_id = static_cast<std::uint32_t>(&m - models_.data());
  r.target_type = warmup ? 1 : 0;
  samples_->push(r);
}

void ControlRun::sample_bytes() noexcept {
  if (!samples_) return;
  metrics::SampleRecord r;
  r.kind = metrics::SampleKind::phase_data;
  r.scenario = phase_;
  r.at = reactor_.clock();
  // The phase's bytes, up to 4 GiB a record each way, as many records as that takes.
  while (bytes_.carry(bytes_sampled_, r)) samples_->push(r);
}

void ControlRun::interrupt() noexcept {
  interrupted_ = true;
  reactor_.timers().fire_all_interrupted();
}

void ControlRun::start_workers(Shared& s, runtime::Task<void> (ControlRun::*worker)(Shared&)) {
  s.workers.bind(reactor_);
  s.deadline = options_.timeout > 0 ? reactor_.clock() + options_.timeout : runtime::kNever;
  progress_.done.store(0, std::memory_order_relaxed);
  progress_.started.store(0, std::memory_order_relaxed);
  const std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(std::max(options_.concurrency, 1)),
                                                    models_.size());
  for (std::size_t i = 0; i < workers; ++i) {
    s.workers.add();
    reactor_.spawn((this->*worker)(s));
  }
}

runtime::Task<void> ControlRun::setup(SetupReport& report) {
  const Nanos start = reactor_.clock();
  phase_ = metrics::kSetupPhase;
  Shared s;
  s.setup = &report;
  report.models = models_.size();
  start_workers(s, &ControlRun::setup_worker);
  co_await s.workers.wait();
  if (interrupted_ && report.outcome == ControlOutcome::completed) {
    report.outcome = ControlOutcome::interrupted;
    report.error = "setup was interrupted with " + std::to_string(report.models_ready) + " of " +
                   std::to_string(report.models) + " models ready";
  } else if (report.outcome == ControlOutcome::timed_out) {
    report.error = "setup timed out after " + seconds_text(options_.timeout) + " with " +
                   std::to_string(report.models_ready) + " of " + std::to_string(report.models) +
                   " models ready" + (s.waiting_for.empty() ? "" : "; still waiting for " + s.waiting_for);
  }
  co_await client_->close(reactor_.clock() + runtime::kSecond);
  report.rpcs = client_->calls();
  report.duration = reactor_.clock() - start;
  sample_bytes();
}

runtime::Task<void> ControlRun::setup_worker(Shared& s) {
  while (!s.stop && s.next < models_.size()) {
    const ControlModel& m = models_[s.next++];
    progress_.started.fetch_add(1, std::memory_order_relaxed);
    co_await setup_one(s, m);
  }
  s.workers.done();
}

// One model through every step; the first that fails ends the whole setup. A wait that passes
// the deadline leaves `s.waiting_for` naming the model and the state it was stuck in.
runtime::Task<void> ControlRun::setup_one(Shared& s, const ControlModel& m) {
  SetupReport& report = *s.setup;
  const std::string& name = m.definition.name;
  auto fail = [&](std::string why) {
    if (s.stop) return;
    s.stop = true;
    report.outcome = ControlOutcome::failed;
    report.error = std::move(why);
  };
  auto time_out = [&](std::string waiting) {
    if (s.stop) return;
    s.stop = true;
    report.outcome = ControlOutcome::timed_out;
    s.waiting_for = std::move(waiting);
  };
  // Sleeps before the next poll; false when setup must end instead.
  Nanos poll = options_.first_poll;
  auto pause = [&]() -> runtime::Task<bool> {
    const Nanos until = std::min(reactor_.clock() + poll, s.deadline);
    poll = std::min(poll * 2, options_.max_poll);
    if (co_await runtime::sleep_until(reactor_, until) == runtime::FireReason::interrupted) co_return false;
    co_return !s.stop && !interrupted_;
  };
  auto past_deadline = [&] { return reactor_.clock() >= s.deadline; };

  const Nanos started = reactor_.clock();
  scv2::RpcResult load = co_await plane_->load_model(m.definition);
  if (interrupted_) co_return;
  if (!load.ok()) {
    fail("LoadModel " + name + " was refused: " + load.describe());
    co_return;
  }
  if (plane_->can_watch()) {
    std::string last_state = "no status yet";
    for (;;) {
      const scv2::ModelStatusReply st = co_await plane_->model_status(name);
      if (interrupted_ || s.stop) co_return;
      if (!st.rpc.ok()) {
        fail("ModelStatus " + name + " failed: " + st.rpc.describe());
        co_return;
      }
      if (st.model.available()) break;
      if (st.model.failed) {
        fail("model " + name + " failed to load: " + st.model.state +
             (st.model.reason.empty() ? "" : ": " + st.model.reason));
        co_return;
      }
      if (st.model.found) last_state = st.model.state;
      if (past_deadline()) {
        time_out(name + " (" + last_state + ")");
        co_return;
      }
      if (!co_await pause()) co_return;
    }
  }
  if (options_.via_pipeline) {
    const scv2::RpcResult lp = co_await plane_->load_pipeline(name, name);
    if (interrupted_ || s.stop) co_return;
    if (!lp.ok()) {
      fail("LoadPipeline " + name + " was refused: " + lp.describe());
      co_return;
    }
    poll = options_.first_poll;
    std::string last_state = "no status yet";
    for (;;) {
      const scv2::PipelineStatusReply st = co_await plane_->pipeline_status(name);
      if (interrupted_ || s.stop) co_return;
      if (!st.rpc.ok()) {
        fail("PipelineStatus " + name + " failed: " + st.rpc.describe());
        co_return;
      }
      if (st.pipeline.ready()) break;
      if (st.pipeline.failed()) {
        fail("pipeline " + name + " failed: " + st.pipeline.status +
             (st.pipeline.reason.empty() ? "" : ": " + st.pipeline.reason));
        co_return;
      }
      if (st.pipeline.found) last_state = st.pipeline.status;
      if (past_deadline()) {
        time_out("pipeline " + name + " (" + last_state + ")");
        co_return;
      }
      if (!co_await pause()) co_return;
    }
    ++report.pipelines_ready;
  }
  if (options_.probe_rest && http_) {
    http1::Client client(reactor_, *http_, options_.request_timeout, &options_.http_tls);
    poll = options_.first_poll;
    for (;;) {
      const http1::Exchange x = co_await client.exchange(m.ready_probe);
      ++report.probes;
      sample_http(m, x, false);
      if (interrupted_ || s.stop) co_return;
      if (x.status == 200 && x.failure == net::Failure::none) break;
      if (past_deadline()) {
        time_out(m.target + " (its ready probe answered " + exchange_text(x) + ")");
        co_return;
      }
      if (!co_await pause()) co_return;
    }
    if (m.warmup) {
      const http1::Exchange x = co_await client.exchange(*m.warmup);
      sample_http(m, x, true);
      if (interrupted_ || s.stop) co_return;
      ++report.warmup_requests;
      if (x.status != 200 || x.failure != net::Failure::none) ++report.warmup_failed;
    }
    client.close();
  }
  ++report.models_ready;
  report.time_to_ready.record(reactor_.clock() - started);
  progress_.done.fetch_add(1, std::memory_order_relaxed);
}

runtime::Task<void> ControlRun::teardown(TeardownReport& report) {
  const Nanos start = reactor_.clock();
  phase_ = metrics::kTeardownPhase;
  Shared s;
  s.teardown = &report;
  report.models = models_.size();
  start_workers(s, &ControlRun::teardown_worker);
  co_await s.workers.wait();
  if (interrupted_) report.outcome = ControlOutcome::interrupted;
  else if (s.stop) report.outcome = ControlOutcome::timed_out;
  else if (report.failed > 0) report.outcome = ControlOutcome::failed;
  co_await client_->close(reactor_.clock() + runtime::kSecond);
  report.rpcs = client_->calls();
  report.duration = reactor_.clock() - start;
  sample_bytes();
}

runtime::Task<void> ControlRun::teardown_worker(Shared& s) {
  // Unlike setup, one model's failure does not stop the others: teardown removes what it can.
  while (!s.stop && !interrupted_ && s.next < models_.size()) {
    const ControlModel& m = models_[s.next++];
    progress_.started.fetch_add(1, std::memory_order_relaxed);
    co_await teardown_one(s, m);
    if (reactor_.clock() >= s.deadline) s.stop = true;
  }
  s.workers.done();
}

// As the suite's teardownBase: the pipeline first (waiting until it is terminated), then the
// model, without waiting for it.
runtime::Task<void> ControlRun::teardown_one(Shared& s, const ControlModel& m) {
  TeardownReport& report = *s.teardown;
  const std::string& name = m.definition.name;
  auto failed = [&](std::string why) {
    ++report.failed;
    if (report.first_error.empty()) report.first_error = std::move(why);
  };
  if (options_.via_pipeline) {
    const scv2::RpcResult up = co_await plane_->unload_pipeline(name);
    if (interrupted_) co_return;
    if (!up.ok()) {
      failed("UnloadPipeline " + name + ": " + up.describe());
    } else {
      Nanos poll = options_.first_poll;
      for (;;) {
        const scv2::PipelineStatusReply st = co_await plane_->pipeline_status(name);
        if (interrupted_) co_return;
        // Gone from the scheduler counts as terminated.
        if (!st.rpc.ok() || !st.pipeline.found || st.pipeline.terminated()) break;
        if (reactor_.clock() >= s.deadline) break;
        const Nanos until = std::min(reactor_.clock() + poll, s.deadline);
        poll = std::min(poll * 2, options_.max_poll);
        if (co_await runtime::sleep_until(reactor_, until) == runtime::FireReason::interrupted) co_return;
      }
      ++report.pipelines_unloaded;
    }
  }
  const scv2::RpcResult um = co_await plane_->unload_model(name);
  if (interrupted_) co_return;
  if (!um.ok()) {
    failed("UnloadModel " + name + ": " + um.describe());
    co_return;
  }
  ++report.models_unloaded;
  progress_.done.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace inferload::scenario
