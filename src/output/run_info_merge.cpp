#include "run_info_merge.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "inferload/grpc/status.hpp"
#include "inferload/output/report_builder.hpp"

namespace inferload::output {
namespace {

// Each distinct value once, in order of first appearance, joined.
std::string distinct_joined(const std::vector<std::string>& values, std::string_view separator) {
  std::vector<std::string> seen;
  for (const std::string& v : values) {
    if (!v.empty() && std::find(seen.begin(), seen.end(), v) == seen.end()) seen.push_back(v);
  }
  std::string out;
  for (const std::string& v : seen) out.append(out.empty() ? "" : separator).append(v);
  return out;
}

std::vector<FailureSummary> merge_failures(const std::vector<MergeInput>& inputs) {
  std::vector<FailureSummary> out;
  for (const MergeInput& in : inputs) {
    for (const FailureSummary& f : in.report.info.failures) {
      auto it = std::find_if(out.begin(), out.end(), [&](const FailureSummary& o) {
        return o.error_code == f.error_code && o.status == f.status && o.error == f.error;
      });
      if (it == out.end()) out.push_back(f);
      else it->count += f.count;
    }
  }
  order_failures(out);
  return out;
}

// By gRPC status code, OK first, as a run lists them.
int status_rank(const std::string& name) {
  for (int code = 0; code <= 16; ++code) {
    if (name == grpc::to_string(static_cast<grpc::StatusCode>(code))) return code;
  }
  return 17;
}

std::vector<std::pair<std::string, std::uint64_t>> merge_grpc_statuses(const std::vector<MergeInput>& inputs) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (const MergeInput& in : inputs) {
    for (const auto& [name, count] : in.report.info.grpc_statuses) {
      auto it = std::find_if(out.begin(), out.end(), [&](const auto& o) { return o.first == name; });
      if (it == out.end()) out.emplace_back(name, count);
      else it->second += count;
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return status_rank(a.first) < status_rank(b.first); });
  return out;
}

// Setup or teardown of the parts that ran one (with execution segments, only the first part
// does): one phase is itself; several add their models and calls, last as long as the longest,
// and their time to ready is that of the merged histograms.
ControlPhaseInfo merge_control_phase(const std::vector<std::pair<const std::string*, const ControlPhaseInfo*>>& ran) {
  if (ran.empty()) return {};
  if (ran.size() == 1) return *ran.front().second;
  ControlPhaseInfo c;
  c.ran = true;
  c.outcome = "completed";
  bool histograms = true;
  auto ready = std::make_shared<metrics::Histogram>();
  for (const auto& [file, p] : ran) {
    c.models += p->models;
    c.models_done += p->models_done;
    c.pipelines_done += p->pipelines_done;
    c.failed += p->failed;
    c.rpcs += p->rpcs;
    c.probes += p->probes;
    c.warmup_requests += p->warmup_requests;
    c.warmup_failed += p->warmup_failed;
    c.duration_s = std::max(c.duration_s, p->duration_s);
    if (c.outcome == "completed" && p->outcome != "completed") c.outcome = p->outcome;
    if (c.error.empty() && !p->error.empty()) c.error = *file + ": " + p->error;
    if (p->time_to_ready) ready->merge(*p->time_to_ready);
    else histograms = false;
    c.ready_p50_s = std::max(c.ready_p50_s, p->ready_p50_s);
    c.ready_p95_s = std::max(c.ready_p95_s, p->ready_p95_s);
    c.ready_max_s = std::max(c.ready_max_s, p->ready_max_s);
  }
  if (histograms) set_time_to_ready(c, std::move(ready));
  return c;
}

}  // namespace

RunInfo merge_run_info(const std::vector<MergeInput>& inputs) {
  RunInfo info;
  const RunInfo& first = inputs.front().report.info;
  info.script = first.script;
  info.scenarios = first.scenarios;
  std::vector<std::string> backends, details, grpc_connections, kafka_modes, kafka_bootstraps;
  std::vector<std::pair<const std::string*, const ControlPhaseInfo*>> setups, teardowns;
  for (const MergeInput& in : inputs) {
    const RunInfo& i = in.report.info;
    backends.push_back(i.io_backend);
    details.push_back(i.io_detail);
    info.workers += i.workers;
    info.driver_cpu_seconds += i.driver_cpu_seconds;
    info.requests.merge(i.requests);
    info.scheduler_requests.merge(i.scheduler_requests);
    info.iterations_interrupted += i.iterations_interrupted;
    info.tls_full_handshakes += i.tls_full_handshakes;
    info.tls_resumed_handshakes += i.tls_resumed_handshakes;
    for (const std::string& why : i.driver_overload) info.driver_overload.push_back(in.file + ": " + why);
    if (i.grpc) {
      info.grpc = true;
      grpc_connections.push_back(i.grpc_connections);
      info.grpc_connections_opened += i.grpc_connections_opened;
    }
    if (i.kafka) {
      info.kafka = true;
      kafka_modes.push_back(i.kafka_mode);
      kafka_bootstraps.push_back(i.kafka_bootstrap);
      info.kafka_late_replies += i.kafka_late_replies;
      info.kafka_foreign_records += i.kafka_foreign_records;
    }
    if (i.setup.ran) setups.emplace_back(&in.file, &i.setup);
    if (i.teardown.ran) teardowns.emplace_back(&in.file, &i.teardown);
    if (!info.setup_data && i.setup_data) info.setup_data = i.setup_data;
    info.sample_outputs.insert(info.sample_outputs.end(), i.sample_outputs.begin(), i.sample_outputs.end());
    info.sample_rows_written += i.sample_rows_written;
    info.sample_rows_lost += i.sample_rows_lost;
    info.sample_writer_cpu_seconds += i.sample_writer_cpu_seconds;
    for (const std::string& e : i.sample_errors) info.sample_errors.push_back(in.file + ": " + e);
    if (i.merged_from.empty()) info.merged_from.push_back(in.file);
    else info.merged_from.insert(info.merged_from.end(), i.merged_from.begin(), i.merged_from.end());
  }
  info.io_backend = distinct_joined(backends, ", ");
  info.io_detail = distinct_joined(details, "; ");
  info.grpc_connections = distinct_joined(grpc_connections, "; ");
  info.kafka_mode = distinct_joined(kafka_modes, ", ");
  info.kafka_bootstrap = distinct_joined(kafka_bootstraps, "; ");
  info.failures = merge_failures(inputs);
  info.grpc_statuses = merge_grpc_statuses(inputs);
  info.setup = merge_control_phase(setups);
  info.teardown = merge_control_phase(teardowns);
  return info;
}

}  // namespace inferload::output
