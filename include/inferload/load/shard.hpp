#pragma once
// What one worker measures, written by that worker's thread only (no atomics, no locks). The
// monitor reads the live counters while the run goes on; everything else is merged, exactly,
// after the workers have stopped.
#include <array>
#include <cstdint>

#include "inferload/http1/client.hpp"
#include "inferload/metrics/histogram.hpp"
#include "inferload/metrics/live_counter.hpp"
#include "inferload/metrics/summary.hpp"

namespace inferload::load {

// k6's http_req_* metrics for one tag set.
struct HttpReqMetrics {
  metrics::Histogram duration, blocked, connecting, sending, waiting, receiving;
  metrics::Histogram duration_expected;  // http_req_duration{expected_response:true}
  std::uint64_t count = 0;               // http_reqs
  std::uint64_t failed = 0;              // http_req_failed's non-zero samples

  void merge(const HttpReqMetrics& o) noexcept;
};

// Why requests failed, in fixed tables so that recording one is a single increment. Every failed
// or timed-out request is in exactly one cell; output::build_report names the cells with k6's
// error codes (http1::k6_error_code) and texts.
struct FailureCounts {
  // Indexed by the enums' underlying byte, so a kind added later still has a cell.
  static constexpr std::size_t kKinds = 256;
  // The parser accepts three-digit statuses only; cell 0 would hold an impossible status.
  static constexpr std::size_t kStatuses = 1000;

  std::array<std::uint64_t, kKinds> by_failure{};      // no response, by net::Failure (not protocol)
  std::array<std::uint64_t, kKinds> by_parse_error{};  // net::Failure::protocol, by http1::ParseError
  std::array<std::uint64_t, kStatuses> by_status{};    // a response that failed the check, by status

  // An exchange that was not a success and not interrupted.
  void record(const http1::Exchange& x) noexcept;
  void merge(const FailureCounts& o) noexcept;
  std::uint64_t total() const noexcept;
};

struct Shard {
  HttpReqMetrics http;
  metrics::Histogram iteration_duration;
  std::uint64_t iterations = 0;
  std::uint64_t iterations_interrupted = 0;
  std::uint64_t iterations_started = 0;
  std::uint64_t data_sent = 0;
  std::uint64_t data_received = 0;
  std::uint64_t checks_passed = 0;  // "model http prediction success"
  std::uint64_t checks_failed = 0;
  metrics::RequestAccounting requests;
  FailureCounts failures;  // failed + timed out requests, by kind

  // Read by the monitor thread while the run goes on.
  metrics::LiveCounter live_iterations;
  metrics::LiveCounter live_interrupted;
  metrics::LiveCounter live_requests;
  metrics::LiveCounter live_failed;
  metrics::LiveCounter live_active_vus;

  // One REST inference: k6's HTTP metrics, the check, and the request's fate.
  void record_rest(const http1::Exchange& x) noexcept;
  void record_iteration(runtime::Nanos duration) noexcept;
  void record_interrupted_iteration() noexcept;

  void merge(const Shard& o) noexcept;  // the live counters are not merged
};

}  // namespace inferload::load
