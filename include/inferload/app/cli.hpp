#pragma once
// The command line: `inferload run [SCENARIO] [flags]`, with k6's flag names where k6 has one.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace inferload::app {

// k6's exit codes (errext/exitcodes/codes.go) where they apply.
enum ExitCode : int {
  kExitOk = 0,
  kExitThresholdsFailed = 99,
  kExitSetupTimeout = 100,
  kExitInvalidConfig = 104,
  kExitSignal = 105,
  kExitSetupFailed = 107,
  // --fail-on-driver-overload: the test ran but its numbers are the driver's; k6 exits 110 for a
  // test its script marked as failed.
  kExitDriverOverloaded = 110,
  kExitOtherError = 255,  // k6 exits -1 for flag errors and anything unclassified
};

// An error that ends the program with a one-line message on stderr.
class ExitError : public std::runtime_error {
 public:
  ExitError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

struct RunArgs {
  std::optional<std::string> script;
  std::optional<std::string> vus;
  std::optional<std::string> iterations;
  std::optional<std::string> duration;
  std::vector<std::string> stages;               // -s DURATION:TARGET, repeatable or comma-separated
  std::optional<std::string> rate;               // constant-arrival-rate (ramping's startRate with -s)
  std::optional<std::string> time_unit;
  std::optional<std::string> pre_allocated_vus;
  std::optional<std::string> max_vus;
  std::optional<std::string> config;             // a k6 options file (JSON)
  // A test split across processes (docs/distributed.md).
  std::optional<std::string> execution_segment;           // FROM:TO
  std::optional<std::string> execution_segment_sequence;  // P0,P1,...,Pn
  std::optional<std::string> parallelism;  // N processes of an Indexed Job, with JOB_COMPLETION_INDEX
  std::optional<std::string> start_at;     // RFC 3339: when the load starts
  std::optional<std::string> ready_file;   // the first segment's setup is done when this file says so
  std::vector<std::string> thresholds;           // --threshold 'METRIC[{TAG:VALUE}]: EXPR', repeatable
  std::optional<std::string> metadata;           // --metadata FILE: k6wrapper.sh's metadata.txt
  std::vector<std::string> arguments;            // the command line after "inferload", for --metadata
  bool precise_timing = false;
  bool preconnect = false;
  std::optional<std::string> max_lateness;
  bool fail_on_driver_overload = false;
  std::optional<std::string> summary_export;
  std::optional<std::string> summary_trend_stats;
  std::optional<std::string> summary_time_unit;
  std::optional<std::string> io;
  std::optional<std::string> workers;
  std::optional<std::string> timeout;
  std::optional<std::string> grpc_timeout;
  std::optional<std::string> grpc_connections;  // N shared connections per worker
  std::optional<std::string> grpc_connection;   // "pooled" or "per-iteration"
  bool grpc_raw_contents = false;                // tensors in raw_input_contents
  std::optional<std::string> http2_stream_window;
  std::optional<std::string> http2_connection_window;
  std::optional<std::string> http_debug;  // --http-debug ("headers") or --http-debug=full
  // TLS (docs/tls.md).
  bool insecure_skip_tls_verify = false;
  bool grpc_tls = false;
  bool no_tls_resumption = false;
  std::optional<std::string> tls_ca;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  std::optional<std::string> tls_server_name;
  std::optional<std::string> tls_version;  // V, or MIN:MAX
  std::optional<std::string> tls_cipher_suites;
  // Kafka direct mode (docs/kafka.md).
  std::optional<std::string> kafka_bootstrap;     // else KAFKA_BOOTSTRAP_SERVERS
  std::optional<std::string> kafka_topic_prefix;  // SCv2's kafka.topicPrefix
  std::vector<std::string> kafka_config;          // key=value librdkafka properties, repeatable
  std::optional<std::string> kafka_schema_id;     // Confluent framing with this schema id
  std::vector<std::string> env;  // -e NAME=VALUE
  std::vector<std::string> out;  // --out TYPE[=ARG]
  std::optional<std::string> csv_time_format;
  std::optional<std::string> sample_buffer;
  std::optional<std::string> report;
  std::optional<std::string> prometheus;  // --prometheus ADDR: serve /metrics there
  bool quiet = false;
  bool no_summary = false;
  std::optional<std::string> setup_timeout;
  std::optional<std::string> teardown_timeout;
  std::optional<std::string> setup_concurrency;
  std::optional<std::string> wait_timeout;       // the lifecycle scripts' waits for a state
  bool no_setup = false;
  bool no_teardown = false;
  bool no_color = false;
  bool verbose = false;
};

// `inferload merge FILE... [--summary-export OUT]`: summary exports of parts of one test, added up.
struct MergeArgs {
  std::vector<std::string> files;
  std::optional<std::string> summary_export;
  std::optional<std::string> summary_trend_stats;
  std::optional<std::string> summary_time_unit;
  bool no_summary = false;
};

enum class Command { run, merge, version, help };

struct CommandLine {
  Command command = Command::help;
  RunArgs run;
  MergeArgs merge;
  std::string help_text;  // for Command::help
};

// Throws ExitError(kExitOtherError, ...) for an unknown flag or a missing value.
CommandLine parse_command_line(int argc, char** argv);

}  // namespace inferload::app
