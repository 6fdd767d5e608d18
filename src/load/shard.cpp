#include "inferload/load/shard.hpp"

namespace inferload::load {

void FailureCounts::record(const http1::Exchange& x) noexcept {
  if (x.failure == net::Failure::protocol) {
    ++by_parse_error[static_cast<std::size_t>(x.parse_error)];
  } else if (x.failure != net::Failure::none) {
    ++by_failure[static_cast<std::size_t>(x.failure)];
  } else {
    ++by_status[static_cast<unsigned>(x.status) < kStatuses ? static_cast<std::size_t>(x.status) : 0];
  }
}

void FailureCounts::merge(const FailureCounts& o) noexcept {
  for (std::size_t i = 0; i < kKinds; ++i) by_failure[i] += o.by_failure[i];
  for (std::size_t i = 0; i < kKinds; ++i) by_parse_error[i] += o.by_parse_error[i];
  for (std::size_t i = 0; i < kStatuses; ++i) by_status[i] += o.by_status[i];
}

std::uint64_t FailureCounts::total() const noexcept {
  std::uint64_t n = 0;
  for (auto c : by_failure) n += c;
  for (auto c : by_parse_error) n += c;
  for (auto c : by_status) n += c;
  return n;
}

void HttpReqMetrics::merge(const HttpReqMetrics& o) noexcept {
  duration.merge(o.duration);
  blocked.merge(o.blocked);
  connecting.merge(o.connecting);
  sending.merge(o.sending);
  waiting.merge(o.waiting);
  receiving.merge(o.receiving);
  duration_expected.merge(o.duration_expected);
  count += o.count;
  failed += o.failed;
}

void Shard::record_rest(const http1::Exchange& x) noexcept {
  ++requests.issued;
  data_sent += x.bytes_sent;
  data_received += x.bytes_received;
  if (x.failure == net::Failure::interrupted) {
    // k6 emits no request samples for a request cut off by a hard stop; it is still accounted.
    ++requests.interrupted;
    return;
  }
  ++http.count;
  http.duration.record(x.timings.duration);
  http.blocked.record(x.timings.blocked);
  http.connecting.record(x.timings.connecting);
  http.sending.record(x.timings.sending);
  http.waiting.record(x.timings.waiting);
  http.receiving.record(x.timings.receiving);
  const bool expected = x.status >= 200 && x.status < 400;  // k6's default expected statuses
  if (expected) http.duration_expected.record(x.timings.duration);
  else ++http.failed;

  const bool ok = x.status == 200;  // the suite's check: "model http prediction success"
  if (ok) {
    ++checks_passed;
    ++requests.ok;
  } else {
    ++checks_failed;
    if (x.failure == net::Failure::timeout || x.failure == net::Failure::connect_timeout) ++requests.timed_out;
    else ++requests.failed;
    failures.record(x);
    live_failed.add();
  }
  live_requests.add();
}

void Shard::record_iteration(runtime::Nanos duration) noexcept {
  ++iterations;
  iteration_duration.record(duration);
  live_iterations.add();
}

void Shard::record_interrupted_iteration() noexcept {
  ++iterations_interrupted;
  live_interrupted.add();
}

void Shard::merge(const Shard& o) noexcept {
  http.merge(o.http);
  iteration_duration.merge(o.iteration_duration);
  iterations += o.iterations;
  iterations_interrupted += o.iterations_interrupted;
  iterations_started += o.iterations_started;
  data_sent += o.data_sent;
  data_received += o.data_received;
  checks_passed += o.checks_passed;
  checks_failed += o.checks_failed;
  requests.merge(o.requests);
  failures.merge(o.failures);
}

}  // namespace inferload::load
