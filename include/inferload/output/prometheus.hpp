#pragma once
// --prometheus ADDR: the run's live metrics in Prometheus's text exposition format (0.0.4),
// served at GET /metrics while the run goes on.
//
// The numbers are aggregated from the workers' sample records on the output thread (a
// SampleSink, like the CSV), never on a worker; the endpoint's own thread renders them on each
// scrape. Labels come from fixed sets, so a run has a bounded number of series whatever it
// calls: scenario (the run's scenarios), protocol (rest, grpc, kafka), model_type (the run's
// model types, never the model's name or the URL) and status_class (1xx..5xx or error for REST;
// the gRPC status code's name; a Kafka request's fate).
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "inferload/metrics/histogram.hpp"
#include "inferload/metrics/sample_ring.hpp"
#include "inferload/output/sample_rows.hpp"

namespace inferload::output {

// The aggregated state and its rendering, without threads or sockets.
class PrometheusMetrics {
 public:
  // Upper bounds of the histograms' buckets, in ns (+Inf comes on top). Requests: from loopback's
  // 100 us to k6's 60 s timeout; lateness: from a precise driver's microseconds to a stalled one.
  static constexpr runtime::Nanos kDurationBuckets[] = {
      100'000,     250'000,     500'000,       1'000'000,     2'500'000,     5'000'000,
      10'000'000,  25'000'000,  50'000'000,    100'000'000,   250'000'000,   500'000'000,
      1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000, 30'000'000'000, 60'000'000'000};
  static constexpr runtime::Nanos kLatenessBuckets[] = {
      10'000,     25'000,     50'000,      100'000,     250'000,     500'000,     1'000'000,   2'500'000,
      5'000'000,  10'000'000, 25'000'000,  50'000'000,  100'000'000, 250'000'000, 500'000'000, 1'000'000'000};
  // The quantiles over the run so far, published as summaries next to the histograms.
  static constexpr double kQuantiles[] = {0.5, 0.9, 0.95, 0.99};

  // Status classes: REST's by the first digit of the status, "error" without a response (or with
  // a broken one); gRPC's by the code's name, as every gRPC client reports a failed call; Kafka's
  // by the request's fate (reply, error_topic, timed_out, produce_failed).
  static constexpr std::size_t kStatusClasses = 6 + 17 + 4;
  static const char* status_class_name(std::size_t index) noexcept;
  static std::size_t status_class(const metrics::SampleRecord& r) noexcept;

  PrometheusMetrics();
  // The label values that records refer to by index; before the first record (it starts from 0).
  void set_labels(std::vector<std::string> scenarios, std::vector<std::string> model_types);

  void add(const metrics::SampleRecord& r);
  void set_vus(double vus) noexcept { vus_ = vus; }
  void set_vus_max(double vus_max) noexcept { vus_max_ = vus_max; }
  void set_rows_lost(std::uint64_t rows) noexcept { rows_lost_ = rows; }

  // Appends the exposition text to `out`: every family's HELP and TYPE, and each series that has
  // counted something (the per-scenario iteration counters from 0).
  void render(std::string& out) const;

 private:
  // One (scenario, protocol, model type).
  struct Requests {
    std::uint64_t by_class[kStatusClasses] = {};
    std::uint64_t buckets[std::size(kDurationBuckets)] = {};  // not cumulative: rendered so
    std::uint64_t count = 0;
    unsigned __int128 sum_ns = 0;
    std::unique_ptr<metrics::Histogram> latency;  // for the quantiles; made on first use
  };
  struct Scenario {
    std::uint64_t iterations = 0;
    std::uint64_t dropped = 0;
    std::uint64_t lateness_buckets[std::size(kLatenessBuckets)] = {};
    std::uint64_t lateness_count = 0;
    unsigned __int128 lateness_sum_ns = 0;
    std::unique_ptr<metrics::Histogram> lateness;
  };

  std::size_t scenario_index(std::uint8_t s) const noexcept;
  std::size_t type_index(std::uint32_t t) const noexcept;
  Requests& requests(std::size_t scenario, std::size_t protocol, std::size_t type);
  std::string labels(std::size_t scenario, std::size_t protocol, std::size_t type) const;

  std::vector<std::string> scenario_names_;  // escaped for a label value
  std::vector<std::string> type_names_;      // likewise; the last is "unknown"
  std::vector<Scenario> scenarios_;
  std::vector<Requests> requests_;  // [scenario][protocol][type], flattened
  double vus_ = 0, vus_max_ = 0;
  std::uint64_t rows_lost_ = 0;
};

// A label value as the text format writes it: backslash, double quote and newline escaped.
std::string escape_label_value(const std::string& value);

// The sink of --prometheus: binds ADDR (HOST:PORT, [V6]:PORT or :PORT for every address) at
// once, so that a bad address or a port in use fails before any load, and serves /metrics from
// a thread of its own. After the last rows it keeps serving the final numbers until the next
// scrape has taken them (the longest recent interval between scrapes plus 1 s, at most 30 s; no
// wait when it has not been scraped twice), when the sink is destroyed. Throws std::runtime_error naming what
// failed (without the flag: the caller knows which it was).
std::unique_ptr<SampleSink> make_prometheus_output(const std::string& address, std::string& url);

}  // namespace inferload::output
