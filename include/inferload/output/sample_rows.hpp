#pragma once
// k6's samples, as its outputs (CSV, JSON lines) write them, made from the compact records the
// workers hand over (metrics::SampleRecord). One REST request becomes the rows k6 emits for it,
// in k6's order: http_reqs, http_req_duration, http_req_blocked, http_req_connecting,
// http_req_tls_handshaking, http_req_sending, http_req_waiting, http_req_receiving,
// http_req_failed, http_req_duration_intended for a scheduled iteration, then the check. A
// completed iteration is data_sent, data_received (the bytes of the scenario's connections on
// its worker since the previous iteration's record), iteration_duration, iterations and, when
// scheduled, schedule_lateness; a dropped one is dropped_iterations; a scenario's end carries
// the bytes no iteration did. A scheduler call of an iteration is scheduler_req_duration and its
// check. A Kafka request is kafka_reqs, kafka_req_duration, kafka_produce_duration when it had a
// delivery report, kafka_req_duration_intended for a scheduled iteration, then the check.
// Setup's and teardown's calls are k6's http_req_* and grpc_req_duration rows, and their bytes
// data_sent and data_received, tagged group ::setup or ::teardown and with no scenario, as k6
// tags what its setup() and teardown() emit.
//
// Runs on the output thread: it may allocate, and caches what repeats (URLs, tag sets).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "inferload/metrics/sample_ring.hpp"

namespace inferload::output {

using runtime::Nanos;

enum class MetricType : std::uint8_t { counter, gauge, rate, trend };
enum class MetricContains : std::uint8_t { plain, time, data };  // k6's "default", "time", "data"

struct MetricInfo {
  std::string_view name;
  MetricType type;
  MetricContains contains;
};

struct Tag {
  std::string_view name;
  std::string_view value;
};

// One sample. Tags are sorted by name, as k6's JSON output writes them.
struct SampleRow {
  const MetricInfo* metric;
  Nanos time;  // Unix time, ns
  double value;
  const Tag* tags;
  std::size_t tag_count;
  // The same for every row given the same tags (a request's nine http_req* rows share theirs):
  // a sink may render the tags once per tag set.
  std::uint64_t tag_set;
  // The record the row was made from (null for vus and vus_max): a sink that aggregates, such as
  // --prometheus, reads its raw fields instead of parsing tags back.
  const metrics::SampleRecord* record = nullptr;
};

struct SampleContext;

class SampleSink {
 public:
  virtual ~SampleSink() = default;
  // Before the first row: what the records refer to (scenario and model type names).
  virtual void open(const SampleContext& /*context*/) {}
  virtual void write(const SampleRow& row) = 0;
  // Called every 50 ms or so, after a batch: the sink writes out what its interval says is due.
  virtual void tick(Nanos now_unix) = 0;
  // Before each tick: the rows lost so far because a worker's ring was full (may lag the workers).
  virtual void rows_lost(std::uint64_t /*rows*/) {}
  // The last rows were written: flush and close, every error checked. Returns "" or what failed.
  virtual std::string close() = 0;
  // The run was stopped by a signal: whatever the sink would wait for after close() (a last
  // scrape), it must not, since the process has seconds before it is killed.
  virtual void hurry() {}
};

// What the records refer to, from the run's plan.
struct SampleContext {
  struct Scenario {
    std::string name;
    std::vector<std::pair<std::string, std::string>> tags;  // the scenario's own tags (extra_tags)
  };
  std::vector<Scenario> scenarios;
  // The full URL of a REST request to model (type, id); empty function: REST is off.
  std::function<std::string(std::uint32_t type, std::uint32_t id)> rest_url;
  std::string rest_check = "model http prediction success";
  // k6's gRPC url tag: host:port/inference.GRPCInferenceService/ModelInfer.
  std::string grpc_url;
  std::string grpc_check = "model grpc prediction success";
  // Kafka requests: the model (or, in pipeline mode, the pipeline) a record's (type, id) names,
  // its `model` tag, and the topic its request was produced to, its `name` tag; an empty function
  // leaves its tag out.
  std::function<std::string(std::uint32_t type, std::uint32_t id)> kafka_model;
  std::function<std::string(std::uint32_t type, std::uint32_t id)> kafka_topic;
  std::string kafka_check = "model kafka prediction success";
  // The model types' names: index = SampleRecord::target_type.
  std::vector<std::string> model_types;
  // Scheduler calls: SCHEDULER_ENDPOINT as given (the url tag is it + the method's path), the
  // methods a record's target_id names (scv2::control_methods) and the checks its target_type
  // names (scenario::ControlCheck).
  std::string scheduler_endpoint;
  std::vector<std::string> control_methods;
  std::vector<std::string> control_checks;
  // Setup's REST requests: the URL of model `i`'s ready probe (GET) or warm-up (POST).
  std::function<std::string(std::uint32_t i, bool warmup)> phase_url;
  // Unix time = the monotonic clock + this.
  Nanos unix_offset = 0;
};

// The monotonic clock's offset to Unix time, now.
Nanos unix_offset_now() noexcept;

class SampleExpander {
 public:
  explicit SampleExpander(SampleContext context);
  // Writes the rows of `r` to every sink; returns how many.
  std::size_t expand(const metrics::SampleRecord& r, const std::vector<SampleSink*>& sinks);
  // vus and vus_max, each second, as k6's engine emits them (no tags).
  std::size_t gauges(Nanos unix_time, double vus, double vus_max, const std::vector<SampleSink*>& sinks);
  // How many rows a record of this kind with metrics::optional_rows `optional` becomes (for the
  // count of rows lost with it).
  static std::size_t rows_of(metrics::SampleKind kind, std::size_t optional) noexcept;

  // k6's metrics in the order their rows come, with type and contents (the JSON output's Metric lines).
  static const MetricInfo* metric(std::string_view name) noexcept;

  const SampleContext& context() const noexcept { return c_; }

 private:
  using TargetNames = std::unordered_map<std::uint64_t, std::string>;
  // names(type, id), remembered in `cache`.
  static const std::string& target_name(TargetNames& cache,
                                        const std::function<std::string(std::uint32_t, std::uint32_t)>& names,
                                        std::uint32_t type, std::uint32_t id);
  // The rows of one Kafka request.
  void kafka_rows(const metrics::SampleRecord& r, std::string_view scenario, const std::vector<SampleSink*>& sinks,
                  std::size_t& rows);
  // The rows of one REST exchange, tagged `tags_` so far (URL, method, group, scenario aside).
  void http_rows(const metrics::SampleRecord& r, std::string_view method, const std::string& url,
                 std::string_view group, std::string_view scenario, const std::vector<SampleSink*>& sinks,
                 std::size_t& rows);
  // A scheduler method's tags, in name order: method, name, the scenario (when given), service,
  // status, url.
  void method_tags(std::uint32_t method, const std::string_view* scenario);
  void emit(const std::vector<SampleSink*>& sinks, const MetricInfo* m, Nanos time, double value,
            const std::vector<Tag>& tags, std::size_t& rows);
  const metrics::SampleRecord* record_ = nullptr;  // the record being expanded, for its rows

  // Appends scenario `i`'s own tags, keeping the list sorted by name.
  void add_scenario_tags(std::vector<Tag>& tags, std::size_t i);

  SampleContext c_;
  TargetNames urls_, kafka_models_, kafka_topics_;
  std::vector<Tag> tags_;
  std::uint64_t tag_set_ = 0;
  std::string status_, error_, error_code_, phase_url_, method_url_;
};

}  // namespace inferload::output
