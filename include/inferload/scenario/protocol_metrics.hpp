#pragma once
// Each protocol's own metrics for one worker, in fixed tables so that recording a call is a few
// increments and merging shards is exact. Written by that worker's thread only.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inferload/grpc/call.hpp"
#include "inferload/http1/client.hpp"
#include "inferload/kafka/request.hpp"
#include "inferload/load/program.hpp"
#include "inferload/load/shard.hpp"
#include "inferload/metrics/histogram.hpp"
#include "inferload/metrics/summary.hpp"
#include "inferload/scv2/targets.hpp"

namespace inferload::scenario {

// k6's http_req_* metrics for one tag set.
struct HttpReqMetrics {
  metrics::Histogram duration, blocked, connecting, tls_handshaking, sending, waiting, receiving;
  metrics::Histogram duration_expected;  // http_req_duration{expected_response:true}
  // Scheduled iterations only: from the iteration's intended start to the response's end
  // (http_req_duration_intended), which a late start or a stalled server cannot hide.
  metrics::Histogram duration_intended;
  std::uint64_t count = 0;               // http_reqs
  std::uint64_t failed = 0;              // http_req_failed's non-zero samples

  void merge(const HttpReqMetrics& o) noexcept;
};

// Why REST requests failed. Every failed or timed-out request is in exactly one cell;
// output::build_report names the cells with k6's error codes (http1::k6_error_code) and texts.
struct FailureCounts {
  // Indexed by the enums' underlying byte, so a kind added later still has a cell.
  static constexpr std::size_t kKinds = 256;
  // The parser accepts three-digit statuses only; cell 0 would hold an impossible status.
  static constexpr std::size_t kStatuses = 1000;

  std::array<std::uint64_t, kKinds> by_failure{};      // no response, by net::Failure (not protocol)
  std::array<std::uint64_t, kKinds> by_parse_error{};  // net::Failure::protocol, by http1::ParseError
  std::array<std::uint64_t, kStatuses> by_status{};    // a response that failed the check, by status
  // The first reason seen of each TLS failure kind (net::tls_index), which says more than the
  // kind alone ("x509: certificate is not valid for NAME"). Copied on a failure only.
  std::array<std::string, net::kTlsFailures> tls_reasons;

  // An exchange that was not a success and not interrupted.
  void record(const http1::Exchange& x) noexcept;
  void merge(const FailureCounts& o) noexcept;
  std::uint64_t total() const noexcept;
};

struct RestMetrics {
  HttpReqMetrics http;
  FailureCounts failures;
  std::uint64_t checks_passed = 0;  // "model http prediction success"
  std::uint64_t checks_failed = 0;
  void merge(const RestMetrics& o) noexcept;
};

struct GrpcMetrics {
  static constexpr std::size_t kStatuses = grpc::kMaxStatusCode + 1;
  static constexpr std::size_t kKinds = 256;
  metrics::Histogram duration;  // grpc_req_duration
  metrics::Histogram duration_intended;  // grpc_req_duration_intended, scheduled iterations only
  std::uint64_t calls = 0;      // calls with a result (not cut off by a hard stop)
  std::array<std::uint64_t, kStatuses> by_status{};  // every call with a result, by its status tag
  // Failed calls by why (grpc::CallFailure), and those that failed in transport by net::Failure.
  std::array<std::uint64_t, kKinds> by_failure{};
  std::array<std::uint64_t, kKinds> by_net_failure{};
  // Failed calls the server answered with a non-OK grpc-status, by that status.
  std::array<std::uint64_t, kStatuses> by_server_status{};
  std::uint64_t checks_passed = 0;  // "model grpc prediction success"
  std::uint64_t checks_failed = 0;
  void merge(const GrpcMetrics& o) noexcept;
};

// Why Kafka requests failed, with their reasons: an error record's value ("model not found"),
// librdkafka's name of a produce error, or the timeout. A reason is copied the first time it is
// seen only; past kMaxReasons distinct ones, the rest of a fate's failures share one row.
struct KafkaFailures {
  static constexpr std::size_t kMaxReasons = 16;
  struct Row {
    kafka::Fate fate = kafka::Fate::timed_out;
    std::string reason;  // empty: past kMaxReasons, or none (a timeout)
    std::uint64_t count = 0;
  };
  std::vector<Row> rows;

  void record(kafka::Fate fate, std::string_view reason) noexcept;
  void merge(const KafkaFailures& o) noexcept;
  std::uint64_t total() const noexcept;
};

// Kafka direct mode's metrics: kafka_reqs, kafka_req_duration (produce to the matching reply,
// or to the error record, or to the deadline), kafka_produce_duration (produce to the delivery
// report, for requests that got one) and the check "model kafka prediction success".
struct KafkaMetrics {
  metrics::Histogram req_duration;
  metrics::Histogram req_duration_intended;  // kafka_req_duration_intended, scheduled iterations only
  metrics::Histogram produce_duration;
  std::uint64_t reqs = 0;  // requests with an outcome (not cut off by a hard stop)
  std::array<std::uint64_t, 8> by_fate{};  // indexed by kafka::Fate
  KafkaFailures failures;
  std::uint64_t checks_passed = 0;
  std::uint64_t checks_failed = 0;
  void merge(const KafkaMetrics& o) noexcept;
};

// The checks of the suite's scheduler calls (section 5.2), in the order an iteration first makes
// them: the loads and their waits, then (after the inference checks) the unloads.
enum class ControlCheck : std::uint8_t {
  load_model,
  model_status,
  pipeline_load,
  pipeline_status,
  start_experiment,
  experiment_status,
  unload_model,
  pipeline_unload,
  stop_experiment,
};
inline constexpr std::size_t kControlChecks = 9;
// The check's name, as the suite's scheduler.js names it: "load model success", ...
const char* check_name(ControlCheck c) noexcept;
// Whether the check comes after the inference checks in an iteration.
constexpr bool after_inference(ControlCheck c) noexcept { return c >= ControlCheck::unload_model; }

// The scheduler calls that scenario iterations make (the lifecycle scripts'), apart from the data
// plane: they are never in grpc_req_duration or in the data plane's request accounting.
struct ControlMetrics {
  metrics::Histogram duration;  // scheduler_req_duration: each call, from being asked for to its end
  std::uint64_t calls = 0;      // calls with a result (not cut off by a hard stop)
  std::array<std::uint64_t, kControlChecks> passed{};
  std::array<std::uint64_t, kControlChecks> failed{};
  metrics::RequestAccounting requests;  // every scheduler call an iteration issued, by its fate
  void merge(const ControlMetrics& o) noexcept;
};

struct ProtocolShard {
  RestMetrics rest;
  GrpcMetrics grpc;
  KafkaMetrics kafka;
  ControlMetrics control;
  void merge(const ProtocolShard& o) noexcept {
    rest.merge(o.rest);
    grpc.merge(o.grpc);
    kafka.merge(o.kafka);
    control.merge(o.control);
  }
};

// The sample record of a REST exchange: its end, timings, status and failure.
metrics::SampleRecord rest_record(const http1::Exchange& x) noexcept;
// One REST inference: k6's HTTP metrics, the check, data bytes and the request's fate.
// `pick`, the model called, goes into the sample record the outputs read (--out).
metrics::RequestFate record_rest(ProtocolShard& p, load::Shard& s, const http1::Exchange& x,
                                 const load::IterationStart& start = {}, scv2::ModelPick pick = {}) noexcept;
// One gRPC call (its bytes are counted by the connection, which sees every frame).
metrics::RequestFate record_grpc(ProtocolShard& p, load::Shard& s, const grpc::CallResult& r,
                                 const load::IterationStart& start = {}, scv2::ModelPick pick = {}) noexcept;
// One Kafka request: its metrics, its check, its fate. The data counters are TCP's, and Kafka's
// bytes go over librdkafka's own connections: they are not in data_sent/data_received.
metrics::RequestFate record_kafka(ProtocolShard& p, load::Shard& s, const kafka::Outcome& o,
                                  const load::IterationStart& start = {}, scv2::ModelPick pick = {}) noexcept;
// The method a check's call is: its place in scv2::control_methods().
std::uint32_t method_of(ControlCheck c) noexcept;
// One scheduler call and its check, which `passed` decides (a call cut off by a hard stop has
// neither a sample nor a check, as in k6). `s`, when given, takes its sample record (--out).
metrics::RequestFate record_control(ControlMetrics& c, ControlCheck check, const grpc::CallResult& r, bool passed,
                                    load::Shard* s = nullptr) noexcept;

}  // namespace inferload::scenario
