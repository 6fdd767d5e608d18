#pragma once
// Setup and teardown of SCv2's data-plane scripts (setupBase and teardownBase, section 1.0 of the
// suite's specification), through the scheduler: load every model (and with VIA_PIPELINE its
// one-step pipeline), wait until each is ready, check that the data plane answers for it, warm
// it up; afterwards unload them. Unlike the suite, models load concurrently (a bounded number at
// once), a model that fails or is refused ends setup at once with the scheduler's reason, every
// model is probed (not only each type's last), the probe carries the headers a request would,
// and every wait has a deadline. None of this traffic is part of any scenario's metrics; it is
// reported apart.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inferload/http1/client.hpp"
#include "inferload/http1/request_template.hpp"
#include "inferload/metrics/histogram.hpp"
#include "inferload/metrics/sample_ring.hpp"
#include "inferload/metrics/summary.hpp"
#include "inferload/net/endpoint.hpp"
#include "inferload/runtime/reactor.hpp"
#include "inferload/runtime/task.hpp"
#include "inferload/scv2/control_plane.hpp"

namespace inferload::scenario {

using runtime::Nanos;

// One model setup makes ready and teardown removes.
struct ControlModel {
  scv2::ModelDefinition definition;      // what LoadModel sends; its name is the plain one
  std::string target;                    // the name the data plane addresses (versioned off envoy)
  http1::RequestTemplate ready_probe;    // GET .../ready with the headers an infer request has
  std::shared_ptr<const http1::RequestTemplate> warmup;  // one inference at batch size 1, or null
  // What the probe's and the warm-up's URLs add to INFER_HTTP_ENDPOINT (their url tags).
  std::string probe_route, warmup_route;
};

struct ControlOptions {
  scv2::ControlApi api = scv2::ControlApi::scheduler;
  bool via_pipeline = false;     // a same-name one-step pipeline per model
  bool probe_rest = true;        // the readiness gate over REST (INFER_HTTP_ENDPOINT)
  int concurrency = 16;          // models between LoadModel and ready at once
  Nanos timeout = 0;             // the whole setup (k6's setupTimeout); teardown's likewise
  Nanos rpc_timeout = 120 * runtime::kSecond;
  Nanos request_timeout = 60 * runtime::kSecond;  // a probe's or warm-up request's
  tls::Peer http_tls;  // probes and warm-ups over TLS (an https:// INFER_HTTP_ENDPOINT)
  Nanos first_poll = 100 * runtime::kMillisecond;  // polls back off from here...
  Nanos max_poll = runtime::kSecond;               // ...to the suite's 1 s
};

enum class ControlOutcome : std::uint8_t { completed, failed, timed_out, interrupted };
const char* to_string(ControlOutcome o) noexcept;

// What setup did, for the summary and the export.
struct SetupReport {
  ControlOutcome outcome = ControlOutcome::completed;
  std::string error;              // one line: the model, what failed, the scheduler's reason
  std::uint64_t models = 0;       // to be made ready
  std::uint64_t models_ready = 0;
  std::uint64_t pipelines_ready = 0;
  std::uint64_t probes = 0;       // readiness requests sent
  std::uint64_t warmup_requests = 0;
  std::uint64_t warmup_failed = 0;  // not 200: counted, as the suite's warm-up does not check
  std::uint64_t rpcs = 0;
  metrics::Histogram time_to_ready;  // per model: LoadModel sent -> ready (ns)
  Nanos duration = 0;
};

struct TeardownReport {
  ControlOutcome outcome = ControlOutcome::completed;
  std::uint64_t models = 0;
  std::uint64_t models_unloaded = 0;
  std::uint64_t pipelines_unloaded = 0;
  std::uint64_t failed = 0;
  std::string first_error;
  std::uint64_t rpcs = 0;
  Nanos duration = 0;
};

// Read by another thread while setup or teardown runs (the progress line).
struct ControlProgress {
  std::atomic<std::uint64_t> done{0};     // models ready (setup) or unloaded (teardown)
  std::atomic<std::uint64_t> started{0};  // models whose first call was made
  std::atomic<std::uint64_t> total{0};
};

class ControlRun {
 public:
  // Everything lives on `reactor`; `scheduler` and `http` must outlive the run. `samples`, when
  // given, takes a record of every call, and of the phase's bytes at its end (--out), which no
  // other thread writes while the phase runs.
  ControlRun(runtime::Reactor& reactor, const ControlOptions& options, const net::ResolvedEndpoint& scheduler,
             std::string scheduler_authority, const net::ResolvedEndpoint* http, std::vector<ControlModel> models,
             metrics::SampleRing* samples = nullptr);
  ~ControlRun();

  runtime::Task<void> setup(SetupReport& report);
  runtime::Task<void> teardown(TeardownReport& report);

  // Posted to the reactor by the thread that sees a stop signal: every wait ends as interrupted.
  void interrupt() noexcept;

  ControlProgress& progress() noexcept { return progress_; }

 private:
  struct Shared;
  // `--setup-concurrency` workers, each taking the next model until none is left or one stops all.
  void start_workers(Shared& s, runtime::Task<void> (ControlRun::*worker)(Shared&));
  runtime::Task<void> setup_worker(Shared& s);
  runtime::Task<void> setup_one(Shared& s, const ControlModel& m);
  runtime::Task<void> teardown_worker(Shared& s);
  runtime::Task<void> teardown_one(Shared& s, const ControlModel& m);
  // The sample records of a ready probe or warm-up, and of the bytes at the phase's end.
  void sample_http(const ControlModel& m, const http1::Exchange& x, bool warmup) noexcept;
  void sample_bytes() noexcept;

  runtime::Reactor& reactor_;
  ControlOptions options_;
  const net::ResolvedEndpoint* http_;
  std::vector<ControlModel> models_;
  std::unique_ptr<scv2::SchedulerClient> client_;
  std::unique_ptr<scv2::ControlPlane> plane_;
  ControlProgress progress_;
  bool interrupted_ = false;
  metrics::SampleRing* samples_;
  std::uint8_t phase_ = metrics::kSetupPhase;
  metrics::ByteCounts bytes_;          // every byte of the phase's connections
  metrics::ByteCounts bytes_sampled_;  // the part the records have carried
};

}  // namespace inferload::scenario
