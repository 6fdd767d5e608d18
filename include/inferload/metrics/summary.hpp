#pragma once
// The end-of-run view of one metric, in k6's terms (counter, gauge, rate, trend), independent of
// where its samples came from. Outputs (text summary, summary export) render only this.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inferload/metrics/histogram.hpp"
#include "inferload/metrics/sample_ring.hpp"

namespace inferload::metrics {

enum class MetricType : std::uint8_t { counter, gauge, rate, trend };

// What a value means: `time` values are integer nanoseconds here and milliseconds in k6 outputs;
// `data` values are bytes.
enum class ValueKind : std::uint8_t { plain, time, data };

struct ThresholdResult {
  std::string expression;  // as the user wrote it, e.g. "p(95)<500"
  bool failed = false;
};

struct MetricSummary {
  std::string name;  // "http_req_duration" or a submetric "http_req_duration{scenario:default}"
  MetricType type = MetricType::counter;
  ValueKind contains = ValueKind::plain;

  double count = 0;  // counter: sum of the samples

  double value = 0;  // gauge: last sample
  double min = 0;    // gauge: smallest sample
  double max = 0;    // gauge: largest sample

  std::uint64_t nonzero = 0;  // rate: samples that were non-zero ("passes" in k6's export)
  std::uint64_t zero = 0;     // rate: samples that were zero ("fails")

  std::shared_ptr<const Histogram> trend;  // trend: every sample (never null for a trend)

  // A metric named in thresholds is reported even without samples; an empty list still
  // registers the (sub)metric, but k6 then writes no "thresholds" key for it.
  bool has_thresholds = false;
  std::vector<ThresholdResult> thresholds;
  // Reported even without samples: the parent of a threshold's submetric, which k6 registers
  // with it (grpc_req_duration with zeros in a run without gRPC).
  bool observed = false;
};

MetricSummary counter_metric(std::string name, double count, ValueKind kind = ValueKind::plain);
MetricSummary gauge_metric(std::string name, double value, double min, double max);
MetricSummary rate_metric(std::string name, std::uint64_t nonzero, std::uint64_t zero);
MetricSummary trend_metric(std::string name, ValueKind kind, std::shared_ptr<const Histogram> samples);

// What became of one issued request.
enum class RequestFate : std::uint8_t {
  ok,           // a response that passed the protocol's success check
  failed,       // any other response, or a connection/protocol error
  timed_out,    // no complete response within the request timeout
  interrupted,  // cut off by a hard stop (end of graceful stop, signal)
};

// Bytes written to and read from the network (k6's data_sent, data_received).
struct ByteCounts {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  void merge(const ByteCounts& o) noexcept {
    sent += o.sent;
    received += o.received;
  }
  // Moves up to 4 GiB each way of these bytes that `carried` does not hold yet into `r`, and
  // adds them to `carried`; false when there were none.
  bool carry(ByteCounts& carried, SampleRecord& r) const noexcept {
    const std::uint64_t s = std::min<std::uint64_t>(sent - carried.sent, UINT32_MAX);
    const std::uint64_t rcv = std::min<std::uint64_t>(received - carried.received, UINT32_MAX);
    r.bytes_sent = static_cast<std::uint32_t>(s);
    r.bytes_received = static_cast<std::uint32_t>(rcv);
    carried.sent += s;
    carried.received += rcv;
    return s != 0 || rcv != 0;
  }
};

// The fate of every request a run issued: issued == ok + failed + timed_out + interrupted.
struct RequestAccounting {
  std::uint64_t issued = 0;
  std::uint64_t ok = 0;           // a response that passed the protocol's success check
  std::uint64_t failed = 0;       // any other response, or a connection/protocol error
  std::uint64_t timed_out = 0;    // no complete response within the request timeout
  std::uint64_t interrupted = 0;  // cut off by a hard stop (end of graceful stop, signal)

  void add(RequestFate fate) noexcept {
    ++issued;
    switch (fate) {
      case RequestFate::ok: ++ok; break;
      case RequestFate::failed: ++failed; break;
      case RequestFate::timed_out: ++timed_out; break;
      case RequestFate::interrupted: ++interrupted; break;
    }
  }
  void merge(const RequestAccounting& o) noexcept {
    issued += o.issued;
    ok += o.ok;
    failed += o.failed;
    timed_out += o.timed_out;
    interrupted += o.interrupted;
  }
};

// One kind of failed request. The kinds of a run together count each of its failed and timed-out
// requests exactly once.
struct FailureSummary {
  int error_code = 0;  // k6's error_code; 0 for a status below 400, which k6 does not call an error
  int status = 0;      // the response's status, 0 when there was no usable response (k6's status tag)
  std::string error;   // k6-style text: "dial: connection refused", "unexpected EOF", "status 503"
  std::uint64_t count = 0;
};

struct CheckSummary {
  std::string name;
  std::uint64_t passes = 0;
  std::uint64_t fails = 0;
};

}  // namespace inferload::metrics
