#include "inferload/app/run_command.hpp"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <sstream>

#include "inferload/app/control_phase.hpp"
#include "inferload/app/crossed_thresholds.hpp"
#include "inferload/app/distributed.hpp"
#include "inferload/app/kafka_plan.hpp"
#include "inferload/app/lifecycle_plan.hpp"
#include "inferload/app/merge_command.hpp"
#include "inferload/app/open_files.hpp"
#include "inferload/app/options.hpp"
#include "inferload/app/options_file.hpp"
#include "inferload/app/output_file.hpp"
#include "inferload/app/prometheus_plan.hpp"
#include "inferload/app/ready_file.hpp"
#include "inferload/app/run_metadata.hpp"
#include "inferload/app/sample_outputs_plan.hpp"
#include "inferload/app/threshold_flag.hpp"
#include "inferload/app/tls_options.hpp"
#include "inferload/load/engine.hpp"
#include "inferload/load/scenario_share.hpp"
#include "inferload/output/html_report.hpp"
#include "inferload/output/json_writer.hpp"
#include "inferload/output/k6_format.hpp"
#include "inferload/output/live_thresholds.hpp"
#include "inferload/output/progress.hpp"
#include "inferload/output/report_builder.hpp"
#include "inferload/output/sample_collector.hpp"
#include "inferload/output/summary_export.hpp"
#include "inferload/output/text_summary.hpp"
#include "inferload/output/trend_stats.hpp"
#include "inferload/runtime/duration.hpp"
#include "inferload/runtime/worker.hpp"
#include "inferload/scenario/every_model_program.hpp"
#include "inferload/scenario/infer_program.hpp"
#include "inferload/scenario/lifecycle_program.hpp"
#include "inferload/scenario/protocol_metrics.hpp"
#include "inferload/scv2/grpc_targets.hpp"
#include "inferload/scv2/k6_config.hpp"
#include "inferload/scv2/scheduler_client.hpp"
#include "inferload/scv2/scripts.hpp"
#include "inferload/scv2/settings.hpp"
#include "inferload/scv2/targets.hpp"

namespace inferload::app {
namespace {

using runtime::Nanos;

// --http-debug's bound: a long test logs its first exchanges, never gigabytes.
constexpr std::uint64_t kHttpDebugRecords = 10000;

[[noreturn]] void config_error(const std::string& msg) { throw ExitError(kExitInvalidConfig, msg); }
[[noreturn]] void flag_error(const std::string& flag, const std::string& msg) {
  throw ExitError(kExitOtherError, flag + ": " + msg);
}

int parse_vus(std::string_view source, const std::string& text) {
  return static_cast<int>(parse_count(source, text, 1, kMaxVus));
}

std::vector<load::Stage> parse_stages(std::string_view source, const std::vector<std::string>& items,
                                      runtime::DurationSyntax syntax) {
  std::vector<load::Stage> stages;
  for (const std::string& item : items) {
    const auto colon = item.rfind(':');
    if (colon == std::string::npos) {
      throw ExitError(kExitInvalidConfig, std::string(source) + ": \"" + item + "\" is not DURATION:TARGET");
    }
    load::Stage st;
    st.duration = parse_duration_option(source, item.substr(0, colon), syntax);
    st.target = static_cast<std::int64_t>(parse_count(source, item.substr(colon + 1), 0, 1'000'000'000));
    stages.push_back(st);
  }
  return stages;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (;;) {
    const auto comma = s.find(',', from);
    out.push_back(s.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return out;
}

// The execution group of one tier (k6-semantics.md 1.5): the highest tier that sets any of
// iterations, duration, stages or scenarios decides all of them.
struct ExecutionTier {
  std::optional<std::uint64_t> iterations;
  std::optional<Nanos> duration;
  std::optional<std::vector<load::Stage>> stages;
  std::optional<std::vector<load::ScenarioConfig>> scenarios;
  bool any() const { return iterations || duration || stages || scenarios; }
};

struct RateShortcut {
  std::optional<std::int64_t> rate;
  std::optional<Nanos> time_unit;
  std::optional<int> pre_allocated_vus;
  std::optional<int> max_vus;
};

// k6's shortcuts (section 1.4), plus inferload's --rate: with -d it is constant-arrival-rate,
// with -s ramping-arrival-rate starting at that rate.
load::ScenarioConfig shortcut_scenario(const ExecutionTier& t, std::optional<int> vus, const RateShortcut& rs) {
  load::ScenarioConfig sc;
  if (rs.rate) {
    if (t.iterations) config_error("--rate does not go with iterations (-i): an arrival rate runs for a duration (-d) or stages (-s)");
    sc.rate = *rs.rate;
    sc.time_unit = rs.time_unit.value_or(runtime::kSecond);
    sc.pre_allocated_vus = rs.pre_allocated_vus.value_or(vus.value_or(1));
    sc.max_vus = rs.max_vus.value_or(sc.pre_allocated_vus);
    if (t.stages) {
      sc.executor = load::ExecutorKind::ramping_arrival_rate;
      sc.stages = *t.stages;
    } else if (t.duration) {
      sc.executor = load::ExecutorKind::constant_arrival_rate;
      sc.duration = *t.duration;
    } else {
      config_error("--rate needs -d (constant-arrival-rate) or -s (ramping-arrival-rate)");
    }
    return sc;
  }
  if (rs.time_unit) config_error("--time-unit applies only with --rate");
  if (rs.pre_allocated_vus) config_error("--pre-allocated-vus applies only with --rate");
  if (rs.max_vus) config_error("--max-vus applies only with --rate");
  sc.vus = vus.value_or(1);
  if (t.iterations) {
    if (t.stages) config_error("using iterations and stages options simultaneously is not allowed");
    sc.executor = load::ExecutorKind::shared_iterations;
    sc.iterations = *t.iterations;
    sc.duration = t.duration.value_or(10 * 60 * runtime::kSecond);
  } else if (t.duration) {
    if (t.stages) config_error("using duration and stages options simultaneously is not allowed");
    sc.executor = load::ExecutorKind::constant_vus;
    sc.duration = *t.duration;
  } else if (t.stages) {
    sc.executor = load::ExecutorKind::ramping_vus;
    sc.start_vus = vus.value_or(1);
    sc.stages = *t.stages;
  } else {
    // Nothing anywhere (a script without options, and no -i, -d or -s): one VU, one iteration.
    sc.executor = load::ExecutorKind::per_vu_iterations;
    sc.vus = 1;
    sc.iterations = 1;
    sc.duration = 10 * 60 * runtime::kSecond;
  }
  return sc;
}

struct Plan {
  std::vector<load::ScenarioConfig> scenarios;
  std::vector<std::string> warnings;  // k6's, word for word
  std::vector<scv2::ThresholdDecl> thresholds;
};

load::ScenarioConfig to_scenario_config(const scv2::ScriptScenario& s) {
  load::ScenarioConfig sc;
  sc.name = s.name;
  sc.graceful_stop = s.graceful_stop;
  sc.time_unit = runtime::kSecond;
  sc.pre_allocated_vus = s.pre_allocated_vus;
  sc.max_vus = s.max_vus;
  if (s.executor == scv2::ScriptScenario::Executor::constant_arrival_rate) {
    sc.executor = load::ExecutorKind::constant_arrival_rate;
    sc.rate = s.rate;
    sc.duration = s.duration;
  } else {
    sc.executor = load::ExecutorKind::ramping_arrival_rate;
    sc.rate = s.start_rate;
    for (const auto& [duration, target] : s.stages) sc.stages.push_back({duration, target});
  }
  return sc;
}

// Flags, then K6_* env vars, then the options file, then the built-in script's own options.
// k6 ranks a script's options above its config file; here a built-in script's options (a 30m
// duration, or its own scenario) would hide every scenario of a file, so the file comes first.
Plan derive_plan(const RunArgs& a, const scv2::EnvLookup& env, const scv2::Script& script,
                 const scv2::Settings& settings, const std::optional<OptionsFile>& file) {
  std::optional<int> vus;
  if (a.vus) vus = parse_vus("--vus", *a.vus);
  else if (auto v = env("K6_VUS")) vus = parse_vus("K6_VUS", *v);
  else if (file && file->vus) vus = *file->vus;

  ExecutionTier cli, envt, filet, scriptt;
  if (a.iterations) cli.iterations = parse_count("--iterations", *a.iterations, 1, kMaxIterations);
  if (a.duration) cli.duration = parse_duration_option("--duration", *a.duration, runtime::DurationSyntax::cli);
  if (!a.stages.empty()) cli.stages = parse_stages("--stage", a.stages, runtime::DurationSyntax::cli);
  if (auto v = env("K6_ITERATIONS")) envt.iterations = parse_count("K6_ITERATIONS", *v, 1, kMaxIterations);
  if (auto v = env("K6_DURATION")) envt.duration = parse_duration_option("K6_DURATION", *v, runtime::DurationSyntax::extended);
  if (auto v = env("K6_STAGES")) envt.stages = parse_stages("K6_STAGES", split_commas(*v), runtime::DurationSyntax::extended);
  if (file) {
    filet.iterations = file->iterations;
    filet.duration = file->duration;
    filet.stages = file->stages;
    filet.scenarios = file->scenarios;
  }
  if (script.duration > 0) scriptt.duration = script.duration;
  if (const auto own = scv2::script_scenario(script, settings)) {
    scriptt.scenarios = std::vector<load::ScenarioConfig>{to_scenario_config(*own)};
  }

  RateShortcut rs;
  if (a.rate) rs.rate = static_cast<std::int64_t>(parse_count("--rate", *a.rate, 0, 1'000'000'000));
  if (a.time_unit) {
    rs.time_unit = parse_duration_option("--time-unit", *a.time_unit, runtime::DurationSyntax::cli);
    if (*rs.time_unit <= 0) flag_error("--time-unit", "must be more than 0");
  }
  if (a.pre_allocated_vus) rs.pre_allocated_vus = static_cast<int>(parse_count("--pre-allocated-vus", *a.pre_allocated_vus, 0, kMaxVus));
  if (a.max_vus) rs.max_vus = static_cast<int>(parse_count("--max-vus", *a.max_vus, 1, kMaxVus));

  const ExecutionTier* tier = cli.any() || rs.rate ? &cli : envt.any() ? &envt : filet.any() ? &filet : &scriptt;
  Plan plan;
  if (tier->scenarios) {
    plan.scenarios = *tier->scenarios;
  } else {
    if (!tier->any() && vus && *vus != 1) {
      plan.warnings.push_back("the `vus=" + std::to_string(*vus) +
                              "` option will be ignored, it only works in conjunction with `iterations`, "
                              "`duration`, or `stages`");
    }
    plan.scenarios.push_back(shortcut_scenario(*tier, vus, tier == &cli ? rs : RateShortcut{}));
    if (tier != &cli && (rs.time_unit || rs.pre_allocated_vus || rs.max_vus)) {
      config_error("--time-unit, --pre-allocated-vus and --max-vus apply only with --rate");
    }
  }
  if (plan.scenarios.size() > load::kMaxScenarios) {
    config_error("at most " + std::to_string(load::kMaxScenarios) + " scenarios can run together");
  }
  for (const load::ScenarioConfig& sc : plan.scenarios) {
    try {
      sc.validate();
    } catch (const std::invalid_argument& e) {
      config_error("invalid scenario " + sc.name + ": " + e.what());
    }
  }
  plan.thresholds = script.thresholds;
  if (file) {
    for (const scv2::ThresholdDecl& t : file->thresholds) add_threshold(plan.thresholds, t);
  }
  for (const std::string& t : a.thresholds) add_threshold(plan.thresholds, parse_threshold_flag(t));
  return plan;
}

scv2::EnvLookup make_env(const RunArgs& a) {
  auto overrides = std::make_shared<std::map<std::string, std::string>>();
  for (const std::string& kv : a.env) {
    // As k6 takes it: NAME=VALUE, or NAME alone for an empty value (which the suite reads as unset).
    const auto eq = kv.find('=');
    const std::string name = kv.substr(0, eq);
    const bool valid = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                       std::all_of(name.begin(), name.end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                       });
    if (!valid) flag_error("--env", "\"" + kv + "\" is not NAME=VALUE with a NAME of letters, digits and _");
    (*overrides)[name] = eq == std::string::npos ? std::string() : kv.substr(eq + 1);
  }
  scv2::EnvLookup process = scv2::process_env();
  return [overrides, process](const std::string& name) -> std::optional<std::string> {
    if (auto it = overrides->find(name); it != overrides->end()) return it->second;
    return process(name);
  };
}

std::string grpc_strategy(scenario::GrpcConnections mode, int pool_size) {
  if (mode == scenario::GrpcConnections::per_iteration) return "per-iteration connections";
  return "pooled, " + std::to_string(pool_size) + " connection" + (pool_size == 1 ? "" : "s") + " per worker";
}

int terminal_columns() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// SIGINT and SIGTERM are taken synchronously through a signalfd by the monitor loop; every
// thread started later inherits the blocked mask.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    fd_ = ::signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK);
  }
  ~StopSignals() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

  // The first signal stops the run (results are still written); a second one ends the process.
  bool on_readable() {
    signalfd_siginfo si{};
    while (::read(fd_, &si, sizeof(si)) == sizeof(si)) {
      ++received_;
      last_ = static_cast<int>(si.ssi_signo);
      if (received_ >= 2) {
        std::fputs("inferload: aborting in response to a second signal\n", stderr);
        std::_Exit(kExitSignal);
      }
    }
    return received_ > 0;
  }
  // After the run: a second signal while results are being written ends the process at once.
  void exit_on_next_signal() {
    struct sigaction sa {};
    sa.sa_handler = [](int) { std::_Exit(kExitSignal); };
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    pthread_sigmask(SIG_UNBLOCK, &set_, nullptr);
  }
  const char* last_name() const { return last_ == SIGTERM ? "terminated" : "interrupt"; }

 private:
  sigset_t set_;
  int fd_ = -1;
  int received_ = 0;
  int last_ = 0;
};

// stdout's first write error. stdio's error flag is sticky but errno is not, so the reason is
// kept from the flush that failed; one check at the end then covers every line of the run.
class StdoutWatch {
 public:
  void flush() {
    errno = 0;
    if ((std::fflush(stdout) != 0 || std::ferror(stdout)) && error_ == 0) error_ = errno != 0 ? errno : EIO;
  }
  int error() const { return error_; }
  std::string message() const { return std::string("stdout: cannot write: ") + std::strerror(error_); }

 private:
  int error_ = 0;
};

}  // namespace

int run_command(const RunArgs& a) {
  const scv2::EnvLookup env = make_env(a);
  // k6 reads its own K6_* options from the process environment; -e sets only the script's.
  const scv2::EnvLookup k6_env = scv2::process_env();
  SampleOutputsPlan sample_plan = plan_sample_outputs(a.out, k6_env, a.csv_time_format);
  add_prometheus_flag(sample_plan, a.prometheus);
  check_prometheus_address(sample_plan);
  const std::size_t ring_records =
      a.sample_buffer ? static_cast<std::size_t>(parse_count("--sample-buffer", *a.sample_buffer, 2, 1u << 24))
                      : output::SampleCollector::kRingRecords;
  if (!sample_plan.skipped.empty()) {
    std::string skipped;
    for (const std::string& o : sample_plan.skipped) skipped += (skipped.empty() ? "" : ", ") + o;
    std::fprintf(stderr, "inferload: warning: %s %s not written yet, so %s skipped; the summary and the other outputs "
                 "are written as usual\n", skipped.c_str(), sample_plan.skipped.size() == 1 ? "is" : "are",
                 sample_plan.skipped.size() == 1 ? "it is" : "they are");
  }

  const scv2::Script* script = nullptr;
  try {
    script = &scv2::find_script(a.script.value_or("infer_constant_vu"));
  } catch (const std::invalid_argument& e) {
    config_error(e.what());
  }
  if (!script->needs_kubernetes.empty()) {
    config_error("scenario " + script->name + " needs the Kubernetes control plane (" + script->needs_kubernetes +
                 "), which inferload does not drive yet");
  }
  std::optional<OptionsFile> options_file;
  if (a.config) {
    try {
      options_file = load_options_file(*a.config);
    } catch (const std::invalid_argument& e) {
      config_error(std::string("--config ") + e.what());
    }
  }
  // Before the plan: a script's own scenario is built from the suite's env vars.
  scv2::Settings settings;
  try {
    settings = scv2::load_settings(env);
  } catch (const std::invalid_argument& e) {
    config_error(e.what());
  }
  const DistributedPlan dist = plan_distributed(a, k6_env, options_file);
  // Setup and teardown load and unload the models once, in the first segment: the others must
  // know when the models are there.
  if (!dist.runs_control() && script->loads_models && !settings.skip_load_model && !a.no_setup && !dist.ready_file) {
    config_error(dist.origin + " " + load::to_string(dist.segment.segment()) +
                 ": only the first segment of a split test runs setup and teardown; give this one --ready-file "
                 "to wait for that setup, or --no-setup when the models are loaded already");
  }
  const Plan run_plan = derive_plan(a, k6_env, *script, settings, options_file);
  for (const std::string& w : run_plan.warnings) std::fprintf(stderr, "inferload: warning: %s\n", w.c_str());
  // --no-summary, or K6_NO_SUMMARY as Go's strconv.ParseBool reads it.
  bool no_summary = a.no_summary;
  if (!no_summary) {
    if (auto v = k6_env("K6_NO_SUMMARY"); v && !v->empty()) {
      if (*v == "1" || *v == "t" || *v == "T" || *v == "true" || *v == "TRUE" || *v == "True") no_summary = true;
      else if (!(*v == "0" || *v == "f" || *v == "F" || *v == "false" || *v == "FALSE" || *v == "False"))
        config_error("K6_NO_SUMMARY: \"" + *v + "\" is not a boolean");
    }
  }
  std::optional<std::pair<std::string, std::string>> summary_export;  // (source, path)
  if (a.summary_export) summary_export.emplace("--summary-export", *a.summary_export);
  else if (auto v = k6_env("K6_SUMMARY_EXPORT"); v && !v->empty()) summary_export.emplace("K6_SUMMARY_EXPORT", *v);
  try {
    output::check_thresholds(run_plan.thresholds);
  } catch (const std::invalid_argument& e) {
    config_error(e.what());
  }
  const std::vector<load::ScenarioConfig>& scenarios = run_plan.scenarios;
  std::uint64_t peak_vus = 0;
  Nanos max_duration = 0;
  for (const auto& sc : scenarios) {
    peak_vus += static_cast<std::uint64_t>(dist.segment.share(sc.peak_vus()));
    max_duration = std::max(max_duration, sc.start_time + sc.regular_duration() + sc.graceful_stop);
  }
  Nanos max_lateness = runtime::kMillisecond;
  if (a.max_lateness) max_lateness = parse_duration_option("--max-lateness", *a.max_lateness, runtime::DurationSyntax::cli);

  // Calls per iteration of each protocol; 0: the protocol is off.
  int http_iterations = settings.infer_http_iterations;
  int grpc_iterations = settings.infer_grpc_iterations;
  int kafka_iterations = settings.infer_kafka_iterations.value_or(0);
  if (script->protocol == scv2::ProtocolRule::infer_type) {
    const bool rest = settings.infer_type == "REST";
    const bool kafka = settings.infer_type == "KAFKA";
    const char* variable = rest ? "INFER_HTTP_ITERATIONS" : kafka ? "INFER_KAFKA_ITERATIONS" : "INFER_GRPC_ITERATIONS";
    // Unset, INFER_KAFKA_ITERATIONS is 1 here, as the other two are by default.
    if (kafka) kafka_iterations = settings.infer_kafka_iterations.value_or(1);
    int& chosen = rest ? http_iterations : kafka ? kafka_iterations : grpc_iterations;
    if (!rest) http_iterations = 0;
    if (!kafka) kafka_iterations = 0;
    if (rest || kafka) grpc_iterations = 0;
    if (script->calls_per_iteration > 0) chosen = script->calls_per_iteration;
    if (chosen == 0) {
      config_error(std::string(variable) + "=0 with INFER_TYPE=\"" + settings.infer_type +
                   "\": an iteration would make no call");
    }
  } else if (script->protocol == scv2::ProtocolRule::in_turn) {
    // An iteration without inference still loads and unloads.
    if (settings.skip_infer) http_iterations = grpc_iterations = 0;
  } else if (script->protocol == scv2::ProtocolRule::grpc_only) {
    http_iterations = 0;
    if (grpc_iterations == 0) {
      config_error("INFER_GRPC_ITERATIONS=0: " + script->name + " makes only gRPC calls, so an iteration would make none");
    }
  } else if (http_iterations == 0 && grpc_iterations == 0 && kafka_iterations == 0) {
    config_error("INFER_HTTP_ITERATIONS=0, INFER_GRPC_ITERATIONS=0 and INFER_KAFKA_ITERATIONS=0: no protocol is enabled");
  }
  if (kafka_iterations > 0 && script->iteration != scv2::IterationKind::infer) {
    config_error("INFER_KAFKA_ITERATIONS=" + std::to_string(kafka_iterations) + ": " + script->name +
                 " makes no Kafka requests; Kafka direct mode is for the infer_* and model_constant_rate scenarios");
  }
  if (kafka_iterations > 0 && settings.skip_infer) kafka_iterations = 0;
  const bool use_rest = http_iterations > 0;
  const bool use_grpc = grpc_iterations > 0;
  const bool use_kafka = kafka_iterations > 0;
  if (!use_kafka && (a.kafka_bootstrap || a.kafka_topic_prefix || !a.kafka_config.empty() || a.kafka_schema_id)) {
    std::fprintf(stderr, "inferload: the Kafka options have no effect: no Kafka request is asked for "
                         "(INFER_KAFKA_ITERATIONS, or INFER_TYPE=KAFKA with the constant-rate scripts)\n");
  }

  net::HttpUrl url;
  try {
    url = net::parse_http_url(settings.infer_http_endpoint);
  } catch (const std::invalid_argument& e) {
    config_error(std::string("INFER_HTTP_ENDPOINT: ") + e.what());
  }
  // What the requests follow: the lifecycle scripts address their models their own way.
  const scv2::Settings request_settings = scv2::script_settings(*script, settings);
  std::unique_ptr<scv2::TargetTable> targets;
  try {
    targets = std::make_unique<scv2::TargetTable>(request_settings, url, scv2::script_models(*script, settings));
  } catch (const std::invalid_argument& e) {
    config_error(e.what());
  }
  // INFER_GRPC_ENDPOINT is host:port, as k6's grpc connect() takes it, or grpcs://host:port.
  bool grpc_over_tls = a.grpc_tls;
  const std::string grpc_address = grpc_endpoint_address(settings.infer_grpc_endpoint, grpc_over_tls);
  net::HttpUrl grpc_url;
  if (use_grpc) {
    try {
      grpc_url = net::parse_http_url("http://" + grpc_address);
    } catch (const std::invalid_argument& e) {
      config_error("INFER_GRPC_ENDPOINT: \"" + settings.infer_grpc_endpoint + "\" is not host:port: " + e.what());
    }
    if (!grpc_url.base_path.empty() || grpc_address.find("://") != std::string::npos) {
      config_error("INFER_GRPC_ENDPOINT: \"" + settings.infer_grpc_endpoint + "\" is not host:port (or grpcs://host:port)");
    }
  }
  // TLS: one configuration for the run, a context per protocol (their ALPN differs).
  const tls::ClientOptions tls_options = tls_client_options(a, k6_env, options_file ? &*options_file : nullptr);
  tls::Peer http_tls, grpc_tls;
  if (use_rest && url.tls) http_tls = make_tls_peer(tls_options, "http/1.1", a, url.host);
  if (use_grpc && grpc_over_tls) grpc_tls = make_tls_peer(tls_options, "h2", a, grpc_url.host);
  if (!http_tls && !grpc_tls && (a.tls_ca || a.tls_cert || a.tls_server_name || a.tls_version || a.tls_cipher_suites)) {
    std::fprintf(stderr, "inferload: the TLS options have no effect: no endpoint is reached over TLS "
                         "(an https:// INFER_HTTP_ENDPOINT, or --grpc-tls)\n");
  }

  std::vector<std::string> trend_stats = output::default_trend_stats();
  std::vector<std::string> export_trend_stats = output::default_export_trend_stats();
  // k6's precedence: the flag, then K6_SUMMARY_TREND_STATS, then the options file's summaryTrendStats.
  std::optional<std::pair<std::string, std::vector<std::string>>> chosen_stats;
  if (a.summary_trend_stats) chosen_stats.emplace("--summary-trend-stats", split_commas(*a.summary_trend_stats));
  else if (auto v = k6_env("K6_SUMMARY_TREND_STATS"); v && !v->empty()) chosen_stats.emplace("K6_SUMMARY_TREND_STATS", split_commas(*v));
  else if (options_file && options_file->summary_trend_stats) {
    chosen_stats.emplace("--config " + *a.config + ": summaryTrendStats", *options_file->summary_trend_stats);
  }
  if (chosen_stats) {
    std::vector<output::TrendStat> parsed;
    try {
      parsed = output::parse_trend_stats(chosen_stats->second);
    } catch (const std::invalid_argument& e) {
      if (chosen_stats->first == "--summary-trend-stats") flag_error(chosen_stats->first, e.what());
      config_error(chosen_stats->first + ": " + e.what());
    }
    trend_stats.clear();
    for (const auto& s : parsed) trend_stats.push_back(s.key);
    export_trend_stats = trend_stats;
  }
  output::TextSummaryOptions text_options;
  text_options.trend_stats = trend_stats;
  if (a.summary_time_unit) {
    if (*a.summary_time_unit != "s" && *a.summary_time_unit != "ms" && *a.summary_time_unit != "us") {
      flag_error("--summary-time-unit", "\"" + *a.summary_time_unit + "\" is not one of s, ms, us");
    }
    text_options.time_unit = *a.summary_time_unit;
  }

  const Nanos timeout = a.timeout ? parse_duration_option("--timeout", *a.timeout, runtime::DurationSyntax::cli)
                                  : 60 * runtime::kSecond;
  if (timeout <= 0) flag_error("--timeout", "must be more than 0");
  const Nanos grpc_timeout = a.grpc_timeout
                                 ? parse_duration_option("--grpc-timeout", *a.grpc_timeout, runtime::DurationSyntax::cli)
                                 : 120 * runtime::kSecond;
  if (grpc_timeout <= 0) flag_error("--grpc-timeout", "must be more than 0");
  scenario::GrpcConnections grpc_mode = scenario::GrpcConnections::pooled;
  // A pool size asks for pooled connections as plainly as --grpc-connection=pooled does.
  if (script->grpc_connection_per_iteration && !a.grpc_connection && !a.grpc_connections) {
    grpc_mode = scenario::GrpcConnections::per_iteration;
  }
  if (a.grpc_connection) {
    if (*a.grpc_connection == "per-iteration") grpc_mode = scenario::GrpcConnections::per_iteration;
    else if (*a.grpc_connection != "pooled") flag_error("--grpc-connection", "\"" + *a.grpc_connection + "\" is not pooled or per-iteration");
  }
  // Their programs connect around each model's calls, as the suite's doInfer does, and nothing else.
  if (script->iteration != scv2::IterationKind::infer &&
      (a.grpc_connections || grpc_mode != scenario::GrpcConnections::per_iteration)) {
    flag_error(a.grpc_connections ? "--grpc-connections" : "--grpc-connection",
               script->name + " opens a connection for each model's gRPC calls, as the suite does; pooled "
                              "connections are for the infer_* and model_constant_rate scenarios");
  }
  int grpc_pool_size = 1;
  if (a.grpc_connections) {
    grpc_pool_size = static_cast<int>(parse_count("--grpc-connections", *a.grpc_connections, 1, 10000));
    if (grpc_mode == scenario::GrpcConnections::per_iteration) {
      flag_error("--grpc-connections", "does not apply with --grpc-connection=per-iteration");
    }
  }
  http2::ConnectionSettings h2;
  // 65535 is RFC 9113's initial window; less would only slow every response down.
  if (a.http2_stream_window) {
    h2.stream_window = static_cast<std::uint32_t>(
        parse_count("--http2-stream-window", *a.http2_stream_window, 65535, http2::kLargestWindowSize));
  }
  if (a.http2_connection_window) {
    h2.connection_window = static_cast<std::uint32_t>(
        parse_count("--http2-connection-window", *a.http2_connection_window, 65535, http2::kLargestWindowSize));
  }
  std::unique_ptr<scv2::GrpcTargetTable> grpc_targets;
  if (use_grpc) {
    try {
      const auto encoding = a.grpc_raw_contents ? oip::GrpcEncoding::raw : oip::GrpcEncoding::contents;
      grpc_targets = std::make_unique<scv2::GrpcTargetTable>(request_settings, *targets, grpc_address,
                                                             grpc_timeout, encoding);
    } catch (const std::invalid_argument& e) {
      config_error(e.what());
    }
  }

  std::optional<runtime::IoBackend> forced;
  if (a.io) {
    if (*a.io == "uring" || *a.io == "io_uring") forced = runtime::IoBackend::uring;
    else if (*a.io == "epoll") forced = runtime::IoBackend::epoll;
    else flag_error("--io", "\"" + *a.io + "\" is not uring or epoll");
  }
  const std::vector<int> cpus = runtime::allowed_cpus();
  int workers = static_cast<int>(cpus.size());
  if (a.workers) workers = static_cast<int>(parse_count("--workers", *a.workers, 1, kMaxWorkers));
  workers = std::min(workers, static_cast<int>(kMaxWorkers));

  // Every output is opened now: a bad path must not cost a whole test before it is reported.
  std::optional<OutputFile> export_file;
  if (summary_export && !no_summary) export_file.emplace(summary_export->first, summary_export->second);
  // --report, else K6_WEB_DASHBOARD_EXPORT (k6's web dashboard's own report file).
  std::optional<OutputFile> report_file;
  if (a.report) report_file.emplace("--report", *a.report);
  else if (auto v = k6_env("K6_WEB_DASHBOARD_EXPORT"); v && !v->empty()) report_file.emplace("K6_WEB_DASHBOARD_EXPORT", *v);
  output::Timeline timeline;
  const std::string started_at = output::rfc3339(runtime::now_ns() + output::unix_offset_now(), false);
  std::optional<ReadyFile> ready_file;
  if (dist.ready_file) {
    ready_file.emplace(*dist.ready_file, dist.ready_source, dist.ready_key());
    if (dist.runs_control()) ready_file->prepare(dist.segment.sequence().size() - 1);
  }

  runtime::BackendChoice backend;
  try {
    backend = runtime::choose_backend(forced);
  } catch (const std::runtime_error& e) {
    config_error(e.what());
  }
  // Its start line comes before setup, as k6wrapper.sh writes it before k6 starts.
  const std::unique_ptr<MetadataFile> metadata = open_metadata(a, k6_env, backend);

  // Setup: the targets must be reachable before any load is started.
  auto reach = [&](const char* variable, const std::string& given, const net::HttpUrl& u) {
    net::ResolvedEndpoint ep;
    try {
      ep = net::resolve(u.host, u.port);
    } catch (const std::runtime_error& e) {
      throw ExitError(kExitSetupFailed, std::string(variable) + " " + given + ": " + e.what());
    }
    if (const int err = net::probe_connect(ep, std::min<Nanos>(timeout, 10 * runtime::kSecond)); err != 0) {
      throw ExitError(kExitSetupFailed, std::string(variable) + " " + given + " (" + ep.text +
                                            ") is unreachable: " + std::strerror(err));
    }
    return ep;
  };
  net::ResolvedEndpoint endpoint;
  if (use_rest) endpoint = reach("INFER_HTTP_ENDPOINT", settings.infer_http_endpoint, url);
  net::ResolvedEndpoint grpc_endpoint;
  if (use_grpc) grpc_endpoint = reach("INFER_GRPC_ENDPOINT", settings.infer_grpc_endpoint, grpc_url);
  ControlInputs control_inputs;
  control_inputs.args = &a;
  control_inputs.script = script;
  control_inputs.settings = &settings;
  control_inputs.url = &url;
  control_inputs.http = use_rest ? &endpoint : nullptr;
  control_inputs.http_tls = http_tls;
  control_inputs.rpc_timeout = grpc_timeout;
  control_inputs.request_timeout = timeout;
  control_inputs.runs_control = dist.runs_control();
  const std::optional<ControlPlan> control = plan_control(control_inputs);
  std::optional<scenario::LifecyclePlan> lifecycle = plan_lifecycle(a, *script, settings, grpc_timeout);

  load::RunOptions opt;
  // A terminal gets k6's in-place display; logs (a pod's, CI's) get a block per second.
  const char* term = std::getenv("TERM");
  const bool terminal = !a.quiet && ::isatty(STDOUT_FILENO) == 1 && !(term && std::string_view(term) == "dumb");
  if (terminal) opt.progress_interval = 100 * runtime::kMillisecond;
  opt.workers = workers;
  opt.cpus = cpus;
  opt.backend = backend;
  if (a.precise_timing) opt.spin_before_deadline = 50 * runtime::kMicrosecond;
  opt.preconnect = a.preconnect;
  opt.segment = dist.segment;
  for (const auto& sc : scenarios) opt.scenarios.push_back({sc, nullptr});
  const int effective_workers = load::effective_workers(opt);
  // Before setup: a bad Kafka setting must not cost a setup first.
  std::optional<KafkaRun> kafka_run;
  if (use_kafka) kafka_run = plan_kafka(a, env, request_settings, *targets, effective_workers, peak_vus);
  // HTTP/1.1: one keep-alive connection per VU; gRPC: the pools, or one per VU per iteration.
  std::uint64_t per_vu = use_rest ? 1 : 0;
  if (use_grpc && grpc_mode == scenario::GrpcConnections::per_iteration) ++per_vu;
  std::uint64_t needed = descriptors_needed(peak_vus, per_vu,
                                            static_cast<std::uint64_t>(effective_workers));
  if (use_grpc && grpc_mode == scenario::GrpcConnections::pooled) {
    needed += static_cast<std::uint64_t>(grpc_pool_size) * static_cast<std::uint64_t>(effective_workers) * 2;
  }
  if (lifecycle && (lifecycle->load || lifecycle->unload)) needed += static_cast<std::uint64_t>(effective_workers);
  // librdkafka's: a connection per broker for each of the producer and the consumer, and its wake-up pipes.
  if (use_kafka) needed += 64;
  const std::uint64_t open_file_limit = raise_open_file_limit(needed);
  if (const std::string w = open_file_warning(peak_vus, needed, open_file_limit);
      !w.empty()) {
    std::fprintf(stderr, "inferload: %s\n", w.c_str());
  }
  if (a.verbose) {
    std::string cpu_list;
    for (int c : cpus) cpu_list += (cpu_list.empty() ? "" : ",") + std::to_string(c);
    std::fprintf(stderr, "inferload: io backend %s: %s\n", runtime::to_string(backend.backend), backend.detail.c_str());
    std::fprintf(stderr, "inferload: %d worker(s) for at most %llu VU(s), pinned round-robin to CPUs %s\n",
                 effective_workers, static_cast<unsigned long long>(peak_vus), cpu_list.c_str());
    std::fprintf(stderr, "inferload: target %s resolved to %s, reachable; %zu model(s), %zu request template(s)\n",
                 settings.infer_http_endpoint.c_str(), endpoint.text.c_str(), targets->model_count(),
                 targets->model_count());
    std::fprintf(stderr, "inferload: about %llu open files needed, open-file limit %llu\n",
                 static_cast<unsigned long long>(needed), static_cast<unsigned long long>(open_file_limit));
  }
  // The sample outputs' files are opened before the header: a bad path stops the run before any load.
  std::vector<std::unique_ptr<output::SampleSink>> sample_sinks;
  std::vector<std::string> sample_outputs;
  try {
    if (sample_plan.csv) {
      sample_sinks.push_back(sample_plan.csv->aggregate > 0 ? output::make_csv_aggregate_output(*sample_plan.csv)
                                                            : output::make_csv_output(*sample_plan.csv));
      sample_outputs.push_back(sample_plan.csv->file == "-" ? "csv(stdout)" : "csv (" + sample_plan.csv->file + ")");
    }
    if (sample_plan.json) {
      output::DeclaredThresholds declared;
      for (const auto& t : run_plan.thresholds) {
        auto& exprs = declared[t.metric];
        for (std::size_t i = 0; i < t.expressions.size(); ++i) {
          const auto ab = std::find_if(t.aborts.begin(), t.aborts.end(), [i](const auto& x) { return x.expression == i; });
          // k6 writes an abortOnFail threshold as the object it was declared as.
          exprs.push_back(ab == t.aborts.end()
                              ? output::json_quote(t.expressions[i])
                              : "{\"threshold\":" + output::json_quote(t.expressions[i]) + ",\"abortOnFail\":true," +
                                    "\"delayAbortEval\":" +
                                    (ab->delay < 0 ? std::string("null")
                                                   : output::json_quote(runtime::format_go_duration(ab->delay))) +
                                    "}");
        }
      }
      sample_sinks.push_back(output::make_json_output(*sample_plan.json, std::move(declared)));
      sample_outputs.push_back(*sample_plan.json == "-" ? "json(stdout)" : "json (" + *sample_plan.json + ")");
    }
    for (const auto& influx : sample_plan.influxdb) {
      sample_sinks.push_back(output::make_influxdb_output(influx));
      sample_outputs.push_back(output::influxdb_description(influx));
    }
  } catch (const std::runtime_error& e) {
    throw ExitError(kExitOtherError, std::string("--out: ") + e.what());
  }
  if (sample_plan.prometheus) {
    std::string described;
    sample_sinks.push_back(open_prometheus(sample_plan, described));
    sample_outputs.push_back(std::move(described));
  }
  // abortOnFail thresholds are watched while the run goes on, from the same sample rows.
  std::vector<output::AbortRule> abort_rules;
  for (const auto& t : run_plan.thresholds) {
    for (const auto& ab : t.aborts) abort_rules.push_back({t.metric, t.expressions[ab.expression], std::max<Nanos>(ab.delay, 0)});
  }
  struct AbortSignal {
    int fd = -1;
    std::string metrics;  // written once by the output thread, read after it has been joined
    ~AbortSignal() {
      if (fd >= 0) ::close(fd);
    }
  } abort_signal;
  if (!abort_rules.empty()) {
    abort_signal.fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (abort_signal.fd < 0) throw ExitError(kExitOtherError, std::string("eventfd: ") + std::strerror(errno));
    try {
      sample_sinks.push_back(std::make_unique<output::LiveThresholds>(abort_rules, 0, [&abort_signal](const std::string& m) {
        abort_signal.metrics = m;
        const std::uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(abort_signal.fd, &one, sizeof(one));
      }));
    } catch (const std::invalid_argument& e) {
      config_error(std::string("abortOnFail: ") + e.what());
    }
  }
  // Described in the order they were given, as k6's header lists them.
  {
    std::vector<std::string> types;
    if (sample_plan.csv) types.push_back("csv");
    if (sample_plan.json) types.push_back("json");
    for (std::size_t i = 0; i < sample_plan.influxdb.size(); ++i) types.push_back("influxdb");
    if (sample_plan.prometheus) types.push_back("prometheus");
    std::vector<std::pair<std::size_t, std::string>> ranked;
    std::vector<bool> taken(sample_plan.order.size(), false);
    for (std::size_t i = 0; i < types.size() && i < sample_outputs.size(); ++i) {
      std::size_t at = sample_plan.order.size();
      for (std::size_t k = 0; k < sample_plan.order.size(); ++k) {
        if (!taken[k] && sample_plan.order[k] == types[i]) {
          at = k;
          taken[k] = true;
          break;
        }
      }
      ranked.emplace_back(at, sample_outputs[i]);
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    for (std::size_t i = 0; i < ranked.size(); ++i) sample_outputs[i] = ranked[i].second;
  }
  std::string output_line;
  for (const std::string& o : sample_outputs) output_line += (output_line.empty() ? "" : ", ") + o;
  if (output_line.empty()) output_line = "-";

  StdoutWatch out;
  if (!a.quiet) {
    const std::string models_text = lifecycle ? std::string("a model per iteration")
                                              : std::to_string(targets->model_count()) +
                                                    (targets->model_count() == 1 ? " model" : " models");
    std::printf("\n     execution: local\n        script: %s\n        output: %s\n",
                a.script.value_or(script->name).c_str(), output_line.c_str());
    std::printf("     inferload: %s, %s (%s), %d worker%s\n", INFERLOAD_VERSION, runtime::to_string(backend.backend),
                backend.detail.c_str(), effective_workers,
                effective_workers == 1 ? "" : "s");
    if (use_rest) {
      std::printf("        target: %s (%s), %s\n", settings.infer_http_endpoint.c_str(), endpoint.text.c_str(),
                  models_text.c_str());
    }
    if (use_grpc) {
      std::printf("   grpc target: %s (%s), %s, %s\n", settings.infer_grpc_endpoint.c_str(), grpc_endpoint.text.c_str(),
                  models_text.c_str(), grpc_strategy(grpc_mode, grpc_pool_size).c_str());
    }
    if (kafka_run) {
      std::printf("  kafka target: %s, %s (%s%s), %s\n", kafka_run->bootstrap.c_str(),
                  kafka_run->pipeline ? "pipelines" : "models", kafka_run->topic_example.c_str(),
                  targets->model_count() > 1 ? ", ..." : "", models_text.c_str());
    }
    if (lifecycle && (lifecycle->load || lifecycle->unload)) {
      std::printf("     scheduler: %s (%s), each iteration %s, every wait at most %s\n",
                  settings.scheduler_endpoint.c_str(), lifecycle->scheduler.text.c_str(),
                  lifecycle->load && lifecycle->unload ? "loads and unloads"
                  : lifecycle->load                    ? "loads"
                                                       : "unloads",
                  runtime::format_go_duration(lifecycle->waits.timeout).c_str());
    }
    if (control) {
      std::printf("         setup: %zu model%s through the %s at %s, %d at once, timeout %s\n", control->models.size(),
                  control->models.size() == 1 ? "" : "s",
                  control->options.api == scv2::ControlApi::proxy ? "scheduler proxy" : "scheduler",
                  settings.scheduler_endpoint.c_str(), control->options.concurrency,
                  runtime::format_go_duration(control->options.timeout).c_str());
    }
    if (!dist.segment.whole()) {
      std::printf("       segment: %s of the sequence %s (%s)%s\n", load::to_string(dist.segment.segment()).c_str(),
                  load::sequence_to_string(dist.segment.sequence()).c_str(), dist.origin.c_str(),
                  dist.runs_control() ? "" : ", setup and teardown in the first segment");
    }
    if (dist.start_at) {
      std::printf("      start at: %s (%s)\n", output::rfc3339(*dist.start_at, true).c_str(), dist.start_at_source.c_str());
    }
    std::printf("\n     scenarios: (%.2f%%) %zu scenario%s, %llu max VUs, %s max duration (incl. graceful stop):\n",
                dist.segment.length() * 100, scenarios.size(), scenarios.size() == 1 ? "" : "s", static_cast<unsigned long long>(peak_vus),
                runtime::format_go_duration(max_duration).c_str());
    for (const auto& sc : scenarios) std::printf("              * %s: %s\n", sc.name.c_str(), sc.describe(dist.segment).c_str());
    std::printf("\n");
    out.flush();
    // The header is the first output: when it cannot be written, no load is sent.
    if (out.error() != 0) throw ExitError(kExitOtherError, out.message());
  }

  // From here on a stop signal is the run's to handle (the outputs' files exist from now on).
  StopSignals signals;
  // Before setup, whose calls are samples too (without a scenario, as k6's setup() makes them).
  std::optional<output::SampleCollector> samples;
  if (!sample_sinks.empty()) {
    output::SampleContext context;
    for (const auto& sc : scenarios) {
      context.scenarios.push_back({sc.name, {sc.tags.begin(), sc.tags.end()}});
    }
    if (use_rest && targets) {
      const scv2::TargetTable* table = targets.get();
      const std::string base = settings.infer_http_endpoint;
      context.rest_url = [table, base](std::uint32_t type, std::uint32_t id) {
        return base + "/v2/models/" + table->name({type, id}) + "/infer";
      };
    }
    if (kafka_run) {
      const scv2::KafkaTargetTable* table = kafka_run->targets.get();
      context.kafka_model = [table](std::uint32_t type, std::uint32_t id) { return table->target({type, id}).name; };
      context.kafka_topic = [table](std::uint32_t type, std::uint32_t id) { return table->request_topic({type, id}); };
    }
    context.kafka_check = script->kafka_check_name;
    context.rest_check = script->check_name;
    context.grpc_check = script->grpc_check_name;
    context.grpc_url = settings.infer_grpc_endpoint + "/inference.GRPCInferenceService/ModelInfer";
    if (targets) {
      for (const auto& t : targets->types()) context.model_types.push_back(t.type);
    }
    context.scheduler_endpoint = settings.scheduler_endpoint;
    context.control_methods = scv2::control_methods();
    for (std::size_t c = 0; c < scenario::kControlChecks; ++c) {
      context.control_checks.emplace_back(scenario::check_name(static_cast<scenario::ControlCheck>(c)));
    }
    if (control) {
      const ControlPlan* phases = &*control;
      const std::string base = settings.infer_http_endpoint;
      context.phase_url = [phases, base](std::uint32_t i, bool warmup) {
        if (i >= phases->models.size()) return std::string();
        return base + (warmup ? phases->models[i].warmup_route : phases->models[i].probe_route);
      };
    }
    samples.emplace(effective_workers, std::move(context), std::move(sample_sinks), ring_records);
    opt.sample_rings = samples->rings();
    samples->start();
  }


  PhaseHooks phase_hooks;
  phase_hooks.stop_fd = signals.fd();
  phase_hooks.on_stop_fd = [&] { return signals.on_readable(); };
  phase_hooks.quiet = a.quiet;
  if (samples) phase_hooks.samples = samples->phase_ring();
  std::optional<scenario::SetupReport> setup_report;
  // Set when setup did not complete. As in k6, no scenario and no teardown run then, but the
  // summary and the export are still written (with the setup's report) before exiting with it.
  int setup_exit = kExitOk;
  if (control) {
    setup_report = run_setup(*control, backend, phase_hooks);
    out.flush();
    if (setup_report->outcome != scenario::ControlOutcome::completed) {
      // A timeout's or an interrupt's line says "setup ..." itself.
      std::fprintf(stderr, "inferload: %s%s\n",
                   setup_report->outcome == scenario::ControlOutcome::failed ? "setup failed: " : "",
                   setup_report->error.c_str());
      switch (setup_report->outcome) {
        case scenario::ControlOutcome::interrupted: setup_exit = kExitSignal; break;
        case scenario::ControlOutcome::timed_out: setup_exit = kExitSetupTimeout; break;
        default: setup_exit = kExitSetupFailed; break;
      }
    }
  }
  // The gate could not be written: this segment's test goes on, the others time out.
  bool gate_failed = false;
  if (ready_file && dist.runs_control()) {
    try {
      ready_file->publish(setup_exit == kExitOk ? std::string() : setup_report->error);
    } catch (const ExitError& e) {
      std::fprintf(stderr, "inferload: %s\n", e.what());
      gate_failed = true;
    }
  } else if (ready_file) {
    const Nanos wait_timeout = a.setup_timeout
                                   ? parse_duration_option("--setup-timeout", *a.setup_timeout, runtime::DurationSyntax::cli)
                                   : script->setup_timeout;
    const ReadyFile::Wait w = ready_file->wait(wait_timeout, phase_hooks);
    out.flush();
    switch (w.outcome) {
      case ReadyFile::Outcome::ready: break;
      case ReadyFile::Outcome::setup_failed:
        std::fprintf(stderr, "inferload: the first segment's setup did not complete: %s\n", w.detail.c_str());
        setup_exit = kExitSetupFailed;
        break;
      case ReadyFile::Outcome::timed_out:
        std::fprintf(stderr, "inferload: setup timed out: %s %s did not say the first segment's setup was done within %s\n",
                     ready_file->source().c_str(), ready_file->path().c_str(),
                     runtime::format_go_duration(wait_timeout).c_str());
        setup_exit = kExitSetupTimeout;
        break;
      case ReadyFile::Outcome::stopped:
        std::fprintf(stderr, "inferload: setup was interrupted while waiting for the first segment's setup\n");
        setup_exit = kExitSignal;
        break;
    }
  }

  // --http-debug[=full], or K6_HTTP_DEBUG as k6 reads it.
  std::unique_ptr<net::DebugLog> debug_log;
  {
    std::optional<std::string> level = a.http_debug;
    if (!level) {
      if (auto v = k6_env("K6_HTTP_DEBUG"); v && !v->empty()) level = *v;
    }
    if (level) {
      if (*level != "headers" && *level != "full" && *level != "true") {
        flag_error("--http-debug", "\"" + *level + "\" is not full (or nothing, for headers only)");
      }
      debug_log = std::make_unique<net::DebugLog>(*level == "full", kHttpDebugRecords);
    }
  }

  // After setup, which loaded the models whose topics SCv2's gateways serve. When the topics
  // cannot be prepared no load runs, but teardown still unloads what setup loaded.
  int kafka_exit = kExitOk;
  if (kafka_run && setup_exit == kExitOk) {
    try {
      kafka_run->prepare();
    } catch (const ExitError& e) {
      std::fprintf(stderr, "inferload: %s\n", e.what());
      kafka_exit = e.code();
    }
  }

  scenario::InferPlan plan;
  plan.debug = debug_log.get();
  plan.skip_infer = settings.skip_infer;
  plan.targets = targets.get();
  plan.grpc_targets = grpc_targets.get();
  plan.http_endpoint = endpoint;
  plan.grpc_endpoint = grpc_endpoint;
  plan.grpc_authority = grpc_address;
  plan.http_tls = http_tls;
  plan.grpc_tls = grpc_tls;
  plan.http_iterations = http_iterations;
  plan.grpc_iterations = grpc_iterations;
  plan.http_timeout = timeout;
  plan.grpc_timeout = grpc_timeout;
  plan.grpc_mode = grpc_mode;
  plan.grpc_pool_size = grpc_pool_size;
  plan.http2 = h2;
  if (kafka_run && kafka_exit == kExitOk && setup_exit == kExitOk) {
    plan.kafka = kafka_run->client.get();
    plan.kafka_targets = kafka_run->targets.get();
  }
  plan.kafka_iterations = kafka_iterations;
  plan.kafka_timeout = timeout;
  // One program per scenario, so that each scenario's samples stay its own ({scenario:NAME}).
  const std::uint64_t seed = std::random_device{}();
  std::vector<std::unique_ptr<scenario::MeasuredProgram>> programs;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    plan.seed = seed + i * 0x9E3779B97F4A7C15ULL;
    if (lifecycle) {
      lifecycle->data = plan;
      programs.push_back(std::make_unique<scenario::LifecycleProgram>(*lifecycle));
    } else if (script->iteration == scv2::IterationKind::every_model_grpc) {
      programs.push_back(std::make_unique<scenario::EveryModelProgram>(plan));
    } else {
      programs.push_back(std::make_unique<scenario::InferProgram>(plan));
    }
    opt.scenarios[i].program = programs.back().get();
  }

  load::MonitorHooks hooks;
  hooks.stop_fd = signals.fd();
  hooks.on_stop_fd = [&] { return signals.on_readable(); };
  hooks.abort_fd = abort_signal.fd;
  if (!dist.segment.whole() || dist.start_at) {
    hooks.on_start = [&](Nanos start) {
      std::fprintf(stderr, "inferload: load started at %s\n", output::rfc3339(start + output::unix_offset_now(), true).c_str());
    };
  }
  std::string final_progress;
  std::vector<load::ScenarioShare> shown_shares;
  for (const auto& sc : scenarios) shown_shares.push_back(load::share_of(sc, dist.segment));
  // On a terminal the block is redrawn in place ten times a second, as k6 does; in logs it is
  // printed anew each second.
  struct Snapshot {
    Nanos elapsed;
    std::int64_t requests;
    metrics::LiveHistogram::Counts durations;
  };
  std::deque<Snapshot> window;  // the last second of terminal redraws
  int drawn_lines = 0;
  const auto erase_drawn = [&] {
    if (drawn_lines > 0) std::printf("\x1b[%dF\x1b[J", drawn_lines);
    drawn_lines = 0;
  };
  hooks.on_progress = [&](const load::Progress& p) {
    if (report_file && (p.second || p.done)) timeline.add(p);
    if (samples && p.second && !p.done) {
      samples->gauges(runtime::now_ns(), static_cast<double>(p.active_vus), static_cast<double>(p.vus_max));
    }
    if (a.quiet) return;
    if (terminal) {
      window.push_back({p.elapsed, p.requests, p.durations});
      while (window.size() > 11) window.pop_front();
      output::LiveFigures live;
      const Snapshot& first = window.front();
      if (window.size() > 1 && p.elapsed > first.elapsed) {
        live.requests_per_second = static_cast<double>(p.requests - first.requests) * 1e9 /
                                   static_cast<double>(p.elapsed - first.elapsed);
        metrics::LiveHistogram::Counts recent{};
        bool any = false;
        for (std::size_t i = 0; i < recent.size(); ++i) {
          recent[i] = p.durations[i] - first.durations[i];
          any = any || recent[i] != 0;
        }
        if (any) live.p95_ms = metrics::LiveHistogram::quantile(recent, 0.95) / 1e6;
      }
      const std::string block = output::render_progress_tty(p, scenarios, live, terminal_columns(), shown_shares);
      erase_drawn();
      if (p.done) {
        final_progress = block;
      } else {
        std::fputs(block.c_str(), stdout);
        drawn_lines = static_cast<int>(std::count(block.begin(), block.end(), '\n'));
      }
      out.flush();
      return;
    }
    if (p.done) {
      final_progress = output::render_progress(p, scenarios, shown_shares);
      return;
    }
    std::fputc('\n', stdout);
    std::fputs(output::render_progress(p, scenarios, shown_shares).c_str(), stdout);
    out.flush();
  };

  const double cpu0 = cpu_seconds();
  load::RunResult result;
  const bool load_runs = setup_exit == kExitOk && kafka_exit == kExitOk;
  if (load_runs) {
    if (dist.start_at) {
      const Nanos unix_now = runtime::now_ns() + output::unix_offset_now();
      opt.start_at = runtime::now_ns() + (*dist.start_at - unix_now);
      if (*dist.start_at < unix_now) {
        std::fprintf(stderr, "inferload: warning: %s %s was %s ago when setup ended: the load starts at once\n",
                     dist.start_at_source.c_str(), output::rfc3339(*dist.start_at, true).c_str(),
                     runtime::format_go_duration(unix_now - *dist.start_at).c_str());
      }
    }
    load::Engine engine(opt);
    result = engine.run(hooks);
  } else {
    result = load::empty_result(opt.scenarios.size());
  }
  const double cpu = load_runs ? cpu_seconds() - cpu0 : 0;
  if (result.totals && result.totals->preconnect_opened < result.totals->preconnect_asked && !result.stopped_by_user) {
    std::fprintf(stderr,
                 "inferload: warning: --preconnect opened %llu of %llu VUs' connections before the start (it "
                 "waits 10s at most); the others connected on their first iteration\n",
                 static_cast<unsigned long long>(result.totals->preconnect_opened),
                 static_cast<unsigned long long>(result.totals->preconnect_asked));
  }
  // The first segment tears down only once the others' load is over: their last requests would
  // meet unloaded models.
  if (ready_file && !dist.runs_control()) {
    try {
      ready_file->publish_done(dist.segment.index());
    } catch (const ExitError& e) {
      std::fprintf(stderr, "inferload: %s\n", e.what());
      gate_failed = true;
    }
  } else if (ready_file && control && control->teardown && setup_exit == kExitOk) {
    const std::size_t segments = dist.segment.sequence().size() - 1;
    if (const std::size_t missing = ready_file->wait_done(segments, control->teardown_timeout, phase_hooks); missing > 0) {
      std::fprintf(stderr,
                   "inferload: warning: %zu of the other %zu segments did not say their load was over (%s.done-N): "
                   "teardown starts now\n",
                   missing, segments - 1, ready_file->path().c_str());
    }
  }
  // teardownBase runs after an interrupted test too, as k6 runs teardown after its first signal.
  std::optional<scenario::TeardownReport> teardown_report;
  if (control && control->teardown && setup_exit == kExitOk) {
    teardown_report = run_teardown(*control, backend, phase_hooks);
    out.flush();
    if (teardown_report->outcome != scenario::ControlOutcome::completed) {
      std::fprintf(stderr, "inferload: teardown %s: %llu of %llu models unloaded%s%s\n",
                   scenario::to_string(teardown_report->outcome),
                   static_cast<unsigned long long>(teardown_report->models_unloaded),
                   static_cast<unsigned long long>(teardown_report->models),
                   teardown_report->first_error.empty() ? "" : "; first error: ",
                   teardown_report->first_error.c_str());
    }
  }
  // After teardown, whose calls are samples too.
  output::SampleTotals sample_totals;
  if (samples) {
    sample_totals = samples->stop(result.stopped_by_user || setup_exit == kExitSignal);
    for (const std::string& e : sample_totals.errors) std::fprintf(stderr, "inferload: --out: %s\n", e.c_str());
    if (sample_totals.rows_lost > 0) {
      std::fprintf(stderr,
                   "inferload: warning: %llu sample rows (of %llu requests and iterations) were not written: the "
                   "output thread fell behind the workers\n",
                   static_cast<unsigned long long>(sample_totals.rows_lost),
                   static_cast<unsigned long long>(sample_totals.records_lost));
    }
  }
  signals.exit_on_next_signal();
  // The test run's clock stops here, after teardown; it started test_run_duration earlier.
  const Nanos test_run_end = runtime::now_ns() + output::unix_offset_now();

  output::RunInfo info;
  info.version = INFERLOAD_VERSION;
  info.script = a.script.value_or(script->name);
  info.io_backend = runtime::to_string(backend.backend);
  info.io_detail = backend.detail;
  info.workers = result.workers;
  info.driver_cpu_seconds = cpu;
  info.sample_outputs = sample_outputs;
  info.sample_rows_written = sample_totals.rows_written;
  info.sample_rows_lost = sample_totals.rows_lost;
  info.sample_writer_cpu_seconds = sample_totals.writer_cpu_seconds;
  info.sample_errors = sample_totals.errors;
  // Every built-in script's setup() returns the suite's config object, unless --no-setup.
  if (!a.no_setup) info.setup_data = scv2::k6_config(settings, env);
  if (setup_report) info.setup = describe(*setup_report);
  if (teardown_report) info.teardown = describe(*teardown_report);
  if (use_grpc) {
    info.grpc = true;
    info.grpc_connections = grpc_strategy(grpc_mode, grpc_pool_size);
    for (const auto& p : programs) info.grpc_connections_opened += p->grpc_connections_opened();
  }
  if (kafka_run) {
    info.kafka = true;
    info.kafka_mode = kafka_run->pipeline ? "pipeline" : "model";
    info.kafka_bootstrap = kafka_run->bootstrap;
    info.kafka_late_replies = kafka_run->late_replies();
    info.kafka_foreign_records = kafka_run->client->foreign_records();
  }
  for (const auto& p : programs) {
    const scenario::HandshakeCounts h = p->tls_handshakes();
    info.tls_full_handshakes += h.full;
    info.tls_resumed_handshakes += h.resumed;
  }
  // The driver was the bottleneck: iterations started late, or a worker never had a moment to spare.
  if (result.totals->schedule_lateness.count() > 0) {
    const auto p99 = static_cast<Nanos>(result.totals->schedule_lateness.percentile(99.0));
    if (p99 > max_lateness) {
      info.driver_overload.push_back("schedule_lateness p(99)=" + runtime::format_go_duration(p99) +
                                     " is above --max-lateness " + runtime::format_go_duration(max_lateness));
    }
  }
  const double wall = static_cast<double>(result.test_run_duration) / 1e9;
  for (std::size_t i = 0; i < result.worker_cpu_seconds.size(); ++i) {
    // Spinning by choice (polling for completions, --precise-timing) is time the worker had to spare.
    const double busy = result.worker_cpu_seconds[i] - result.worker_spin_seconds[i];
    if (wall >= 1.0 && busy >= 0.95 * wall) {
      char why[120];
      std::snprintf(why, sizeof(why), "worker %zu was busy %.0f%% of the run", i, 100.0 * busy / wall);
      info.driver_overload.push_back(why);
    }
  }
  // k6's test-run clock starts before setup and stops after teardown: every counter's rate
  // divides by all of it.
  if (setup_report) result.test_run_duration += setup_report->duration;
  if (teardown_report) result.test_run_duration += teardown_report->duration;
  // k6 samples vus every second from before setup until after teardown, and no VU is active in
  // either: one that lasts a second or more adds samples of 0 (the last one, after teardown).
  if (setup_report && setup_report->duration >= runtime::kSecond) result.vus.min = std::min(result.vus.min, 0.0);
  if (teardown_report && teardown_report->duration >= runtime::kSecond) {
    result.vus.min = 0;
    result.vus.value = 0;
  }
  std::vector<scenario::ProtocolShard> protocol_totals;
  for (const auto& p : programs) protocol_totals.push_back(p->totals());
  std::vector<output::ScenarioMeasures> measures;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    measures.push_back({&scenarios[i], result.scenarios[i].totals.get(), &protocol_totals[i],
                        result.scenarios[i].dropped_iterations});
  }
  output::RunReport report = output::build_report(result, measures, run_plan.thresholds, *script, std::move(info));
  report.test_run_spans = {{test_run_end - result.test_run_duration, test_run_end}};

  int code = kExitOk;
  if (!no_summary) {
    std::fputs(output::render_text_summary(report, text_options).c_str(), stdout);
    if (!a.quiet) {
      std::fputc('\n', stdout);
      std::fputs(final_progress.c_str(), stdout);
    }
    out.flush();
    if (export_file) {
      try {
        std::ostringstream text;
        output::write_summary_export(text, report, export_trend_stats);
        export_file->write(text.view());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "inferload: %s\n", e.what());
        code = kExitOtherError;
      }
    }
  }
  if (report_file) {
    output::ReportPage page;
    page.title = "inferload: " + a.script.value_or(script->name);
    page.started_at = started_at;
    for (const auto& sc : scenarios) {
      page.scenario_names.push_back(sc.name);
      page.scenario_descriptions.push_back(sc.describe(dist.segment));
    }
    try {
      report_file->write(output::render_html_report(page, timeline, report));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "inferload: %s\n", e.what());
      code = kExitOtherError;
    }
  }
  if (out.error() != 0) {
    std::fprintf(stderr, "inferload: %s\n", out.message().c_str());
    code = kExitOtherError;
  }
  if (metadata) {
    try {
      metadata->finish();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "inferload: %s\n", e.what());
      code = kExitOtherError;
    }
  }
  // k6's words and code: an abort by thresholds is 99 whatever the end's evaluation says; a
  // threshold failed at the end is 99 unless another error came first.
  if (result.aborted_by_thresholds) {
    std::fprintf(stderr,
                 "inferload: thresholds on metrics '%s' were crossed; at least one has abortOnFail enabled, "
                 "stopping test prematurely\n",
                 abort_signal.metrics.c_str());
    if (code == kExitOk) code = kExitThresholdsFailed;
  }
  if (report_crossed_thresholds(report) && code == kExitOk) code = kExitThresholdsFailed;
  if (a.fail_on_driver_overload && !report.info.driver_overload.empty() && (code == kExitOk || code == kExitThresholdsFailed)) {
    std::fprintf(stderr, "inferload: the driver was overloaded (%s): exiting with %d as --fail-on-driver-overload asks\n",
                 report.info.driver_overload.front().c_str(), kExitDriverOverloaded);
    code = kExitDriverOverloaded;
  }
  for (const std::string& e : result.worker_errors) {
    std::fprintf(stderr, "inferload: worker failed: %s\n", e.c_str());
    code = kExitOtherError;
  }
  if (result.stopped_by_user) {
    std::fprintf(stderr, "inferload: test run was aborted because inferload received a '%s' signal\n", signals.last_name());
    code = kExitSignal;
  }
  if (setup_exit != kExitOk && code != kExitOtherError) code = setup_exit;
  if (kafka_exit != kExitOk && code == kExitOk) code = kafka_exit;
  if (gate_failed && code == kExitOk) code = kExitOtherError;
  return code;
}

int main_entry(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  try {
    const CommandLine cl = parse_command_line(argc, argv);
    switch (cl.command) {
      case Command::help: {
        std::fputs(cl.help_text.c_str(), stdout);
        StdoutWatch out;
        out.flush();
        if (out.error() != 0) throw ExitError(kExitOtherError, out.message());
        return kExitOk;
      }
      case Command::version: {
        const runtime::BackendChoice b = runtime::choose_backend(std::nullopt);
        std::printf("inferload %s\nio: %s (%s)\n", INFERLOAD_VERSION, runtime::to_string(b.backend), b.detail.c_str());
        StdoutWatch out;
        out.flush();
        if (out.error() != 0) throw ExitError(kExitOtherError, out.message());
        return kExitOk;
      }
      case Command::run:
        return run_command(cl.run);
      case Command::merge:
        return merge_command(cl.merge);
    }
  } catch (const ExitError& e) {
    std::fprintf(stderr, "inferload: %s\n", e.what());
    return e.code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "inferload: %s\n", e.what());
    return kExitOtherError;
  }
  return kExitOk;
}

}  // namespace inferload::app
