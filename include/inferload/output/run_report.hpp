#pragma once
// Everything the end-of-run outputs render: k6's metrics and checks, plus what inferload
// reports beyond k6 (which I/O backend ran, driver cost, the fate of every issued request).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "inferload/metrics/summary.hpp"
#include "inferload/scv2/k6_config.hpp"

namespace inferload::output {

using RequestAccounting = metrics::RequestAccounting;
using FailureSummary = metrics::FailureSummary;

// SCv2's setup or teardown through the scheduler, when it ran. None of its traffic is in any
// metric; this is all that is reported of it.
struct ControlPhaseInfo {
  bool ran = false;
  std::string outcome;            // "completed", "failed", "timed out", "interrupted"
  std::string error;              // the first failure, one line
  std::uint64_t models = 0;       // models to load (setup) or unload (teardown)
  std::uint64_t models_done = 0;  // made ready, or unloaded
  std::uint64_t pipelines_done = 0;
  std::uint64_t failed = 0;       // teardown: unload calls that failed
  std::uint64_t rpcs = 0;         // scheduler calls made
  std::uint64_t probes = 0;       // setup: readiness requests
  std::uint64_t warmup_requests = 0;
  std::uint64_t warmup_failed = 0;
  double duration_s = 0;
  // Setup: LoadModel to ready, per model, in seconds.
  double ready_p50_s = 0;
  double ready_p95_s = 0;
  double ready_max_s = 0;
  // Setup: every model's LoadModel to ready, in nanoseconds, which the three above summarise;
  // null when unknown.
  std::shared_ptr<const metrics::Histogram> time_to_ready;
};

// Keeps the histogram and the p50, p95 and max it gives, in seconds.
inline void set_time_to_ready(ControlPhaseInfo& c, std::shared_ptr<const metrics::Histogram> ready) {
  c.ready_p50_s = ready->percentile(50) / 1e9;
  c.ready_p95_s = ready->percentile(95) / 1e9;
  c.ready_max_s = static_cast<double>(ready->max()) / 1e9;
  c.time_to_ready = std::move(ready);
}

// What makes runs parts of one test, which `inferload merge` compares: each scenario's name,
// executor, tags and the options a share of the test keeps (its times), but not the sizes a share
// of it may change (VUs, iterations, rates).
struct ScenarioShape {
  std::string name;
  std::string executor;                                      // k6's name, "constant-vus"
  std::vector<std::pair<std::string, std::string>> options;  // k6's option names, Go durations
  std::map<std::string, std::string> tags;
  bool operator==(const ScenarioShape&) const = default;
};

// Wall-clock time the test ran, in Unix nanoseconds: [start_ns, end_ns).
struct TimeSpan {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  bool operator==(const TimeSpan&) const = default;
};

struct RunInfo {
  std::string version;          // inferload's version
  std::string script;           // scenario name as given, e.g. "infer_constant_vu"
  std::string io_backend;       // "io_uring" or "epoll"
  std::string io_detail;        // ring flags in use, or why io_uring was not used
  int workers = 0;
  double driver_cpu_seconds = 0;  // user + system CPU of the whole process during the run
  RequestAccounting requests;
  // The scheduler calls scenario iterations made (the lifecycle scripts'), apart from the data
  // plane's requests; setup's and teardown's are in `setup` and `teardown`.
  RequestAccounting scheduler_requests;
  // Why requests.failed + requests.timed_out failed: by count, most frequent first, then by
  // error_code and status.
  std::vector<FailureSummary> failures;
  std::uint64_t iterations_interrupted = 0;
  // Whether the driver itself was the bottleneck, and why: schedule_lateness p(99) above
  // --max-lateness, or a worker whose thread was on the CPU nearly all the run. Empty: it was not.
  std::vector<std::string> driver_overload;
  // gRPC, when it ran: the connection strategy ("pooled, 1 per worker", "per-iteration"), the
  // connections opened, and every call with a result by its status (name, count), OK first.
  bool grpc = false;
  std::string grpc_connections;
  std::uint64_t grpc_connections_opened = 0;
  std::vector<std::pair<std::string, std::uint64_t>> grpc_statuses;
  // Kafka direct mode, when it ran: "model" or "pipeline", the bootstrap servers, the replies
  // that came after their request had ended (dropped), and records on the reply topics that
  // answered no request of this process (another process's, skipped).
  bool kafka = false;
  std::string kafka_mode;
  std::string kafka_bootstrap;
  std::uint64_t kafka_late_replies = 0;
  std::uint64_t kafka_foreign_records = 0;
  // The load's TLS handshakes, full and resumed (both 0 without TLS).
  std::uint64_t tls_full_handshakes = 0, tls_resumed_handshakes = 0;
  ControlPhaseInfo setup;
  ControlPhaseInfo teardown;
  // What the script's setup() returned (the suite's config object), which k6 writes as the
  // export's setup_data; none without a setup (--no-setup).
  std::optional<scv2::ConfigValue> setup_data;
  // --out csv/json: what they were, the rows they got, and the rows lost because the output
  // thread fell behind the workers (never silently: here, in the export and on stderr).
  std::vector<std::string> sample_outputs;  // e.g. "csv (results/base.gz)"
  std::uint64_t sample_rows_written = 0;
  std::uint64_t sample_rows_lost = 0;
  double sample_writer_cpu_seconds = 0;
  // What an output could not do, one line each: a file that failed, or InfluxDB's
  // "influxdb: N of M points not written: ...".
  std::vector<std::string> sample_errors;
  std::vector<ScenarioShape> scenarios;
  // The exports `inferload merge` made this report of, as named to it; empty for a run.
  std::vector<std::string> merged_from;
};

struct RunReport {
  std::vector<metrics::MetricSummary> metrics;  // any order; outputs sort as they need
  std::vector<metrics::CheckSummary> checks;    // root group, in order of first appearance
  double test_run_duration_s = 0;               // divisor of every counter's rate
  // When the test ran: one span for a run (its end less test_run_duration_s, to its end), the
  // disjoint spans of their union for merged runs; empty when unknown.
  std::vector<TimeSpan> test_run_spans;
  RunInfo info;
};

}  // namespace inferload::output
