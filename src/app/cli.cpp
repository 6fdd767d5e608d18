#include "inferload/app/cli.hpp"

#include <CLI/CLI.hpp>

namespace inferload::app {
namespace {

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

void add_run_flags(CLI::App& run, RunArgs& a) {
  run.add_option("scenario", a.script,
                 "Built-in SCv2 scenario by name or k6 script path (default: infer_constant_vu; "
                 "scenarios/infer_constant_vu.js works too)");
  run.add_option("-u,--vus", a.vus, "Virtual users (env K6_VUS; default 1)");
  run.add_option("-i,--iterations", a.iterations,
                 "Iterations shared by all VUs: the shared-iterations executor (env K6_ITERATIONS)");
  run.add_option("-d,--duration", a.duration,
                 "Test duration, e.g. 30s, 10m, 2h; with -i it is the maximum duration (env K6_DURATION)");
  run.add_option("-s,--stage", a.stages,
                 "A stage DURATION:TARGET, e.g. 30s:10 (repeatable, or comma-separated): ramping-vus, or with "
                 "--rate ramping-arrival-rate whose targets are rates (env K6_STAGES)")
      ->delimiter(',')
      ->allow_extra_args(false);
  run.add_option("--rate", a.rate,
                 "Iterations per --time-unit started on a schedule, whatever the server does: the "
                 "constant-arrival-rate executor for -d; with -s the start rate of ramping-arrival-rate");
  run.add_option("--time-unit", a.time_unit, "The period --rate and arrival-rate stage targets count in (default 1s)");
  run.add_option("--pre-allocated-vus", a.pre_allocated_vus,
                 "Arrival rates: VUs made before the start (default: -u if given, else 1)");
  run.add_option("--max-vus", a.max_vus,
                 "Arrival rates: at most this many VUs; an iteration due when all are busy is dropped "
                 "(dropped_iterations) (default: --pre-allocated-vus)");
  run.add_option("-c,--config", a.config,
                 "A k6 options file (JSON: scenarios, thresholds, vus, duration, iterations, stages), "
                 "below flags and K6_* env vars in precedence as k6 has it");
  run.add_option("--execution-segment", a.execution_segment,
                 "The part of the test this process runs, FROM:TO (fractions, decimals or whole percentages, "
                 "e.g. 1/3:2/3), as k6 splits a test across processes: its share of the VUs, iterations and "
                 "arrival rates (options file key executionSegment)");
  run.add_option("--execution-segment-sequence", a.execution_segment_sequence,
                 "Every segment boundary of the split test, e.g. 0,1/3,2/3,1; give every process the same one "
                 "(options file key executionSegmentSequence)");
  run.add_option("--parallelism", a.parallelism,
                 "The processes of a Kubernetes Indexed Job that split the test: with JOB_COMPLETION_INDEX=i this "
                 "process runs segment i/N:(i+1)/N of the sequence 0,1/N,...,1 (env INFERLOAD_PARALLELISM)");
  run.add_option("--start-at", a.start_at,
                 "Start the load at this RFC 3339 instant, e.g. 2025-06-01T12:00:00Z, after setup, so that the "
                 "processes of a split test start together; an instant already past starts at once with a warning "
                 "(env INFERLOAD_START_AT)");
  run.add_option("--ready-file", a.ready_file,
                 "A split test's gates on a shared volume: the first segment (FROM 0) runs setup and teardown and "
                 "writes this file after setup; the others run neither, wait for it (at most the setup timeout) and "
                 "write FILE.done-I after their load, which the first waits for before teardown (env "
                 "INFERLOAD_READY_FILE)");
  run.add_option("--threshold", a.thresholds,
                 "A threshold 'METRIC[{TAG:VALUE}]: EXPR', e.g. 'http_req_duration: p(95)<500' (repeatable): added "
                 "to the scenario's and the options file's thresholds, in the summary and the export as theirs are; "
                 "a failed one exits 99")
      ->allow_extra_args(false);
  run.add_option("--metadata", a.metadata,
                 "Write SCv2's results/metadata.txt as k6wrapper.sh does: start: before setup; end:, args:, envs: "
                 "(secrets' values redacted), metadata: ($TEST_METADATA), pod: ($POD_NAME), namespace: ($NAMESPACE), "
                 "inferload:, io_backend: after the run, "
                 "also when it is stopped or setup fails (env INFERLOAD_METADATA)");
  run.add_flag("--precise-timing", a.precise_timing,
               "Spin instead of sleeping for the last microseconds before a scheduled iteration, for "
               "microsecond-exact arrival rates at the cost of CPU");
  run.add_flag("--preconnect", a.preconnect,
               "Arrival rates: open every pre-allocated VU's connection before the clock starts, so that "
               "a burst of due iterations (after a stall) finds them ready rather than each paying a handshake");
  run.add_option("--max-lateness", a.max_lateness,
                 "Warn that the driver is overloaded when schedule_lateness p(99) exceeds this (default 1ms)");
  run.add_flag("--fail-on-driver-overload", a.fail_on_driver_overload,
               "Exit with code 110 when the driver was overloaded (lateness above --max-lateness, or a "
               "worker's CPU saturated)");
  run.add_option("--csv-time-format", a.csv_time_format,
                 "The CSV output's timestamps: unix (default), unix_milli, unix_micro, unix_nano, rfc3339 or "
                 "rfc3339_nano (env K6_CSV_TIME_FORMAT)");
  run.add_option("--sample-buffer", a.sample_buffer,
                 "Sample records each worker holds for --out, --prometheus and abortOnFail thresholds until the "
                 "output thread takes them "
                 "(default 32768, rounded up to a power of two); a full buffer loses rows, counted and reported");
  run.add_option("--report", a.report,
                 "Write a self-contained HTML report (charts over time, errors, the summary table) to this file "
                 "(env K6_WEB_DASHBOARD_EXPORT)");
  run.add_option("--prometheus", a.prometheus,
                 "Serve the run's live metrics at http://ADDR/metrics in Prometheus's text format, e.g. "
                 "127.0.0.1:9464 (also --out prometheus=ADDR)");
  run.add_option("--summary-export", a.summary_export, "Write the end-of-test summary as k6's legacy JSON to this file");
  run.add_option("--summary-trend-stats", a.summary_trend_stats,
                 "Trend statistics in the summary, e.g. avg,min,med,max,p(90),p(95),p(99.9)");
  run.add_option("--summary-time-unit", a.summary_time_unit, "Time unit in the text summary: s, ms or us");
  run.add_flag("--no-summary", a.no_summary, "Print no end-of-test summary and write no summary export");
  run.add_option("--io", a.io, "I/O backend: uring or epoll (default: uring, epoll where io_uring is refused)");
  run.add_option("--workers", a.workers, "Worker threads, one per CPU (default: the CPUs this process may use)");
  run.add_option("--timeout", a.timeout, "Request timeout (default 60s, as k6's HTTP default)");
  run.add_option("--grpc-timeout", a.grpc_timeout, "gRPC call timeout, sent as grpc-timeout (default 2m, as k6's gRPC default)");
  run.add_option("--grpc-connections", a.grpc_connections,
                 "Shared HTTP/2 connections per worker for gRPC; streams carry the concurrency (default 1)");
  run.add_option("--grpc-connection", a.grpc_connection,
                 "gRPC connection strategy: pooled (default), or per-iteration, which opens and closes a "
                 "connection around each iteration's gRPC calls as SCv2's k6 scripts do");
  run.add_flag("--grpc-raw-contents", a.grpc_raw_contents,
               "Send each gRPC input's data in raw_input_contents (little-endian bytes) instead of the "
               "typed contents fields SCv2's k6 suite uses");
  run.add_option("--http2-stream-window", a.http2_stream_window,
                 "HTTP/2 receive window per stream, in bytes (default 4194304)");
  run.add_option("--http2-connection-window", a.http2_connection_window,
                 "HTTP/2 receive window per connection, in bytes (default 67108864)");
  run.add_flag("--insecure-skip-tls-verify", a.insecure_skip_tls_verify,
               "TLS: accept any server certificate (env K6_INSECURE_SKIP_TLS_VERIFY, options file "
               "insecureSkipTLSVerify)");
  run.add_option("--tls-ca", a.tls_ca, "TLS: trust the CA certificates in this PEM file instead of the system's");
  run.add_option("--tls-cert", a.tls_cert, "TLS: a client certificate (PEM), for servers that ask for one (with --tls-key)");
  run.add_option("--tls-key", a.tls_key, "TLS: the client certificate's private key (PEM)");
  run.add_option("--tls-server-name", a.tls_server_name,
                 "TLS: the name sent in SNI and required of the server's certificate (default: the endpoint's host)");
  run.add_option("--tls-version", a.tls_version,
                 "TLS: the version, tls1.2 or tls1.3 (exactly that one), or MIN:MAX, e.g. tls1.2: (default: 1.2 "
                 "or newer; options file tlsVersion)");
  run.add_option("--tls-cipher-suites", a.tls_cipher_suites,
                 "TLS: the cipher suites offered, IANA names separated by commas, e.g. "
                 "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256 (options file tlsCipherSuites)");
  run.add_flag("--no-tls-resumption", a.no_tls_resumption,
               "TLS: never resume a session: every new connection makes a full handshake (default: a VU's new "
               "connection resumes its previous one's session)");
  run.add_flag("--grpc-tls", a.grpc_tls,
               "gRPC over TLS (ALPN h2) to INFER_GRPC_ENDPOINT; a grpcs:// or https:// prefix on it does the same");
  run.add_option("--kafka-bootstrap", a.kafka_bootstrap,
                 "Kafka direct mode: the bootstrap servers HOST:PORT[,HOST:PORT...] of SCv2's Kafka (env "
                 "KAFKA_BOOTSTRAP_SERVERS); turned on by INFER_KAFKA_ITERATIONS or INFER_TYPE=KAFKA");
  run.add_option("--kafka-topic-prefix", a.kafka_topic_prefix,
                 "Kafka: SCv2's kafka.topicPrefix, the topics' first part (default seldon); the namespace part is "
                 "$NAMESPACE (default: default)");
  run.add_option("--kafka-config", a.kafka_config,
                 "Kafka: a librdkafka property KEY=VALUE for producer and consumer, e.g. security.protocol=SASL_SSL, "
                 "sasl.*, ssl.* (repeatable)")
      ->allow_extra_args(false);
  run.add_option("--kafka-schema-id", a.kafka_schema_id,
                 "Kafka: frame request values as Confluent's schema registry does, with this schema id (replies' "
                 "framing is stripped)");
  // One value per occurrence, as k6 takes them: `--out csv=x.gz scenarios/s.js` leaves the
  // script to be the scenario.
  run.add_flag("--http-debug{headers}", a.http_debug,
               "Log every request and response to stderr as k6 does (headers; --http-debug=full adds bodies), "
               "at most 10000 records (env K6_HTTP_DEBUG)");
  run.add_option("-e,--env", a.env,
                 "Set an environment variable for the scenario: NAME=VALUE, or NAME for an empty value (repeatable)")
      ->allow_extra_args(false);
  run.add_option("-o,--out", a.out,
                 "An output TYPE[=ARG], repeatable (env K6_OUT): csv=FILE[.gz] (or fileName=F,saveInterval=D,"
                 "timeFormat=T,aggregate=D), json=FILE[.gz] and influxdb=URL write every sample as k6 does; "
                 "prometheus=ADDR is --prometheus; experimental-prometheus-rw is accepted but not written yet "
                 "(a warning says so)")
      ->allow_extra_args(false);
  run.add_flag("-q,--quiet", a.quiet, "No header and no progress lines; the summary is still printed");
  run.add_flag("--no-setup", a.no_setup,
               "Skip setup: load no models through the scheduler (as SKIP_LOAD_MODEL does)");
  run.add_flag("--no-teardown", a.no_teardown, "Skip teardown: leave the models setup loaded");
  run.add_option("--setup-timeout", a.setup_timeout,
                 "Setup's time limit, from the first LoadModel to the last model ready (default: the "
                 "scenario's setupTimeout, 6000s for the infer_* scenarios; exit 100 when it passes)");
  run.add_option("--teardown-timeout", a.teardown_timeout,
                 "Teardown's time limit (default: the scenario's teardownTimeout)");
  run.add_option("--setup-concurrency", a.setup_concurrency,
                 "Models setup loads at once: between LoadModel and ready (default 16)");
  run.add_option("--wait-timeout", a.wait_timeout,
                 "load_predict_unload, pipeline, experiment: the longest one wait for a state (ModelAvailable, "
                 "PipelineReady, an active experiment, their ends) may take before its check fails (default 10m)");
  run.add_flag("--no-color", a.no_color, "Accepted for k6 compatibility: output is never coloured");
  run.add_flag("-v,--verbose", a.verbose, "Log setup decisions on stderr (I/O backend, CPUs, target address)");
}

void add_merge_flags(CLI::App& merge, MergeArgs& a) {
  merge.add_option("files", a.files,
                   "Summary exports (--summary-export) of runs of one test, e.g. the segments of a distributed "
                   "test; k6's own exports carry no histograms and are refused")
      ->required();
  merge.add_option("--summary-export", a.summary_export,
                   "Write the merged export to this file (default: to stdout, the text summary then going to stderr)");
  merge.add_option("--summary-trend-stats", a.summary_trend_stats,
                   "Trend statistics in the summary and the export (default: those of the first file's export)");
  merge.add_option("--summary-time-unit", a.summary_time_unit, "Time unit in the text summary: s, ms or us");
  merge.add_flag("--no-summary", a.no_summary, "Print no text summary; the merged export is still written");
}

}  // namespace

CommandLine parse_command_line(int argc, char** argv) {
  CommandLine cl;
  CLI::App app{"inferload: a load generator for Seldon Core v2 and Open Inference Protocol servers"};
  app.name("inferload");
  app.require_subcommand(0, 1);
  CLI::App* run = app.add_subcommand("run", "Run a load test (configured by k6-style flags and the SCv2 suite's env vars)");
  add_run_flags(*run, cl.run);
  CLI::App* merge = app.add_subcommand(
      "merge",
      "Merge the summary exports of runs of one test (e.g. its execution segments) into the export and text "
      "summary one process running them all would have written: counts summed, percentiles from the summed "
      "histograms (exact to the bucket), rates over the union of their time spans, thresholds evaluated again "
      "(exit 99 when one fails); exports of different tests are refused (exit 104)");
  add_merge_flags(*merge, cl.merge);
  CLI::App* version = app.add_subcommand("version", "Print the version and the I/O backend this machine allows");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    cl.command = Command::help;
    cl.help_text = run->parsed() ? run->help() : merge->parsed() ? merge->help() : app.help();
    return cl;
  } catch (const CLI::ParseError& e) {
    const char* command = merge->parsed() ? "merge" : "run";
    throw ExitError(kExitOtherError, one_line(e.what()) + " (see 'inferload " + command + " --help')");
  }
  cl.run.arguments.assign(argv + 1, argv + argc);
  if (run->parsed()) cl.command = Command::run;
  else if (merge->parsed()) cl.command = Command::merge;
  else if (version->parsed()) cl.command = Command::version;
  else cl.help_text = app.help();
  return cl;
}

}  // namespace inferload::app
