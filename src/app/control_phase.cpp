#include "inferload/app/control_phase.hpp"

#include "inferload/app/options.hpp"
#include "inferload/scenario/control_models.hpp"
#include "inferload/scv2/kubernetes_only.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace inferload::app {
namespace {

using runtime::Nanos;

double seconds(Nanos ns) { return static_cast<double>(ns) / 1e9; }

// Runs `body` on a fresh reactor in a thread of its own; this thread watches the stop signal and
// prints `what`'s progress every second until the body has finished.
void run_phase(const ControlPlan& plan, const scenario::ControlOptions& options, const runtime::BackendChoice& backend,
               const PhaseHooks& hooks, const char* what,
               const std::function<runtime::Task<void>(scenario::ControlRun&)>& body) {
  const int done_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (done_fd < 0) throw std::runtime_error("eventfd failed");
  std::mutex mu;  // guards `reactor` and `run` against their end while a stop is posted
  runtime::Reactor* reactor = nullptr;
  scenario::ControlRun* run = nullptr;
  std::exception_ptr error;
  std::thread thread([&] {
    try {
      std::unique_ptr<runtime::Reactor> r = runtime::make_reactor(backend);
      scenario::ControlRun cr(*r, options, plan.scheduler, plan.scheduler_authority,
                              plan.http ? &*plan.http : nullptr, plan.models, hooks.samples);
      {
        std::lock_guard lock(mu);
        reactor = r.get();
        run = &cr;
      }
      r->spawn(body(cr));
      r->run();
      std::lock_guard lock(mu);
      reactor = nullptr;
      run = nullptr;
    } catch (...) {
      error = std::current_exception();
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(done_fd, &one, sizeof(one));
  });

  const Nanos start = runtime::now_ns();
  bool stopping = false;
  for (;;) {
    pollfd fds[2] = {{done_fd, POLLIN, 0}, {hooks.stop_fd, POLLIN, 0}};
    const int n = ::poll(fds, hooks.stop_fd >= 0 ? 2 : 1, 1000);
    if (n > 0 && (fds[0].revents & POLLIN)) break;
    if (n > 0 && hooks.stop_fd >= 0 && (fds[1].revents & POLLIN) && hooks.on_stop_fd && hooks.on_stop_fd() &&
        !stopping) {
      stopping = true;
      std::lock_guard lock(mu);
      if (reactor) reactor->post([run] { run->interrupt(); });
    }
    if (!hooks.quiet) {
      std::lock_guard lock(mu);
      if (run) {
        const scenario::ControlProgress& p = run->progress();
        const std::uint64_t done = p.done.load(std::memory_order_relaxed);
        const std::uint64_t started = p.started.load(std::memory_order_relaxed);
        std::printf("%s: %llu of %llu models %s, %llu in progress (%.0fs)\n", what,
                    static_cast<unsigned long long>(done), static_cast<unsigned long long>(p.total.load()),
                    std::string_view(what) == "setup" ? "ready" : "unloaded",
                    static_cast<unsigned long long>(started - done), seconds(runtime::now_ns() - start));
        std::fflush(stdout);
      }
    }
  }
  thread.join();
  ::close(done_fd);
  if (error) std::rethrow_exception(error);
}

}  // namespace

net::ResolvedEndpoint reach_scheduler(const scv2::Settings& settings, Nanos rpc_timeout, const std::string& hint) {
  // SCHEDULER_ENDPOINT is host:port, as k6's grpc connect() takes it.
  const std::string& given = settings.scheduler_endpoint;
  net::HttpUrl su;
  try {
    su = net::parse_http_url("http://" + given);
  } catch (const std::invalid_argument& e) {
    throw ExitError(kExitInvalidConfig, "SCHEDULER_ENDPOINT: \"" + given + "\" is not host:port: " + e.what());
  }
  if (!su.base_path.empty() || given.find("://") != std::string::npos) {
    throw ExitError(kExitInvalidConfig, "SCHEDULER_ENDPOINT: \"" + given + "\" is not host:port");
  }
  net::ResolvedEndpoint ep;
  try {
    ep = net::resolve(su.host, su.port);
  } catch (const std::runtime_error& e) {
    throw ExitError(kExitSetupFailed, "SCHEDULER_ENDPOINT " + given + ": " + e.what());
  }
  if (const int err = net::probe_connect(ep, std::min<Nanos>(rpc_timeout, 10 * runtime::kSecond)); err != 0) {
    throw ExitError(kExitSetupFailed, "SCHEDULER_ENDPOINT " + given + " (" + ep.text + ") is unreachable: " +
                                          std::strerror(err) + " (" + hint + ")");
  }
  return ep;
}

std::optional<ControlPlan> plan_control(const ControlInputs& in) {
  const RunArgs& a = *in.args;
  const scv2::Settings& settings = *in.settings;
  scv2::RunSteps steps;
  steps.setup = in.script->loads_models && !a.no_setup;
  steps.teardown = in.script->loads_models && !a.no_teardown;
  // The infer_* scripts' VU 1; predict_agent_oc, which also runs setupBase, changes nothing.
  steps.replica_changes = in.script->loads_models && in.script->iteration == scv2::IterationKind::infer;
  for (const std::string& why : scv2::kubernetes_only_settings(settings, steps)) {
    throw ExitError(kExitInvalidConfig, why);
  }
  if (!in.script->loads_models || settings.skip_load_model || a.no_setup || !in.runs_control) return std::nullopt;
  ControlPlan plan;
  scenario::ControlOptions& o = plan.options;
  o.api = settings.scheduler_proxy ? scv2::ControlApi::proxy : scv2::ControlApi::scheduler;
  o.via_pipeline = settings.via_pipeline;
  o.probe_rest = in.http != nullptr;
  o.rpc_timeout = in.rpc_timeout;
  o.request_timeout = in.request_timeout;
  o.http_tls = in.http_tls;
  o.timeout = a.setup_timeout ? parse_duration_option("--setup-timeout", *a.setup_timeout, runtime::DurationSyntax::cli)
                              : in.script->setup_timeout;
  plan.teardown_timeout = a.teardown_timeout
                              ? parse_duration_option("--teardown-timeout", *a.teardown_timeout, runtime::DurationSyntax::cli)
                              : in.script->teardown_timeout;
  if (o.timeout <= 0) throw ExitError(kExitOtherError, "--setup-timeout: must be more than 0");
  if (plan.teardown_timeout <= 0) throw ExitError(kExitOtherError, "--teardown-timeout: must be more than 0");
  if (a.setup_concurrency) {
    o.concurrency = static_cast<int>(parse_count("--setup-concurrency", *a.setup_concurrency, 1, 10000));
  }
  plan.teardown = !a.no_teardown && !settings.skip_unload_model;
  plan.scheduler = reach_scheduler(settings, in.rpc_timeout,
                                   "setup loads the models through the scheduler; SKIP_LOAD_MODEL or --no-setup runs "
                                   "against models that exist already");
  plan.scheduler_authority = settings.scheduler_endpoint;
  if (in.http) plan.http = *in.http;
  try {
    plan.models = scenario::setup_models(settings, *in.url, settings.warmup && in.http != nullptr);
  } catch (const std::invalid_argument& e) {
    throw ExitError(kExitInvalidConfig, e.what());
  }
  return plan;
}

scenario::SetupReport run_setup(const ControlPlan& plan, const runtime::BackendChoice& backend, const PhaseHooks& hooks) {
  scenario::SetupReport report;
  run_phase(plan, plan.options, backend, hooks, "setup",
            [&](scenario::ControlRun& run) { return run.setup(report); });
  return report;
}

scenario::TeardownReport run_teardown(const ControlPlan& plan, const runtime::BackendChoice& backend,
                                      const PhaseHooks& hooks) {
  scenario::TeardownReport report;
  scenario::ControlOptions options = plan.options;
  options.timeout = plan.teardown_timeout;
  run_phase(plan, options, backend, hooks, "teardown",
            [&](scenario::ControlRun& run) { return run.teardown(report); });
  return report;
}

output::ControlPhaseInfo describe(const scenario::SetupReport& r) {
  output::ControlPhaseInfo c;
  c.ran = true;
  c.outcome = scenario::to_string(r.outcome);
  c.error = r.error;
  c.models = r.models;
  c.models_done = r.models_ready;
  c.pipelines_done = r.pipelines_ready;
  c.rpcs = r.rpcs;
  c.probes = r.probes;
  c.warmup_requests = r.warmup_requests;
  c.warmup_failed = r.warmup_failed;
  c.duration_s = seconds(r.duration);
  output::set_time_to_ready(c, std::make_shared<const metrics::Histogram>(r.time_to_ready));
  return c;
}

output::ControlPhaseInfo describe(const scenario::TeardownReport& r) {
  output::ControlPhaseInfo c;
  c.ran = true;
  c.outcome = scenario::to_string(r.outcome);
  c.error = r.first_error;
  c.models = r.models;
  c.models_done = r.models_unloaded;
  c.pipelines_done = r.pipelines_unloaded;
  c.failed = r.failed;
  c.rpcs = r.rpcs;
  c.duration_s = seconds(r.duration);
  return c;
}

}  // namespace inferload::app
