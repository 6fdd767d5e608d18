#pragma once
// SCv2's setup and teardown as phases of a run: each on a reactor of its own thread, while the
// calling thread prints a progress line every second and turns a stop signal into an interrupt.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "inferload/app/cli.hpp"
#include "inferload/net/endpoint.hpp"
#include "inferload/output/run_report.hpp"
#include "inferload/runtime/backend.hpp"
#include "inferload/scenario/control_setup.hpp"
#include "inferload/scv2/scripts.hpp"
#include "inferload/scv2/settings.hpp"

namespace inferload::app {

struct ControlPlan {
  scenario::ControlOptions options;
  bool teardown = true;  // unload what setup loaded: no --no-teardown, no SKIP_UNLOAD_MODEL
  runtime::Nanos teardown_timeout = 0;
  net::ResolvedEndpoint scheduler;
  std::string scheduler_authority;                // SCHEDULER_ENDPOINT as given
  std::optional<net::ResolvedEndpoint> http;      // the readiness probes' target
  std::vector<scenario::ControlModel> models;
};

// What the run's setup and teardown do, from the script, the settings and the flags; nullopt
// when the script loads no models (model_constant_rate), SKIP_LOAD_MODEL is set or --no-setup
// is given, or in a segment of a split test other than the first (only the first one loads and
// unloads the models). Resolves SCHEDULER_ENDPOINT and checks it is reachable: ExitError 107 when not,
// 104 for settings that need the Kubernetes control plane. `http` is the data plane's REST
// endpoint when the run uses REST (the readiness probes and the warm-up go there), else null.
struct ControlInputs {
  const RunArgs* args = nullptr;
  const scv2::Script* script = nullptr;
  const scv2::Settings* settings = nullptr;
  const net::HttpUrl* url = nullptr;
  const net::ResolvedEndpoint* http = nullptr;
  tls::Peer http_tls;  // set when `http` is reached over TLS
  runtime::Nanos rpc_timeout = 0;
  runtime::Nanos request_timeout = 0;
  bool runs_control = true;  // false in a segment other than the first
};
std::optional<ControlPlan> plan_control(const ControlInputs& in);

// SCHEDULER_ENDPOINT resolved and checked reachable: ExitError 104 when it is not host:port, 107
// when it cannot be resolved or reached (the message ends with `hint`, why it is needed).
net::ResolvedEndpoint reach_scheduler(const scv2::Settings& settings, runtime::Nanos rpc_timeout,
                                      const std::string& hint);

struct PhaseHooks {
  int stop_fd = -1;                    // readable when a stop signal arrived
  std::function<bool()> on_stop_fd;    // reads it; true: stop
  bool quiet = false;                  // no progress lines
  metrics::SampleRing* samples = nullptr;  // the phase's sample records (--out), or none
};

scenario::SetupReport run_setup(const ControlPlan& plan, const runtime::BackendChoice& backend, const PhaseHooks& hooks);
scenario::TeardownReport run_teardown(const ControlPlan& plan, const runtime::BackendChoice& backend,
                                      const PhaseHooks& hooks);

// For the summary and the export.
output::ControlPhaseInfo describe(const scenario::SetupReport& r);
output::ControlPhaseInfo describe(const scenario::TeardownReport& r);

}  // namespace inferload::app
