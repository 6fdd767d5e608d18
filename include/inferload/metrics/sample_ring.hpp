#pragma once
// What a worker hands to the outputs that want every sample (--out csv, json): one compact
// record per request, per finished iteration and per dropped iteration, which an output thread
// expands into k6's rows (a REST request alone is a dozen). The worker only copies the record
// into its own single-producer ring: no allocation, no lock, no read-modify-write atomic, and
// never a wait. A full ring loses the record and counts it, so that the outputs can say exactly
// what they could not write.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "inferload/runtime/clock.hpp"

namespace inferload::metrics {

using runtime::Nanos;

enum class SampleKind : std::uint8_t {
  http,       // one REST exchange (not one cut off by a hard stop: k6 emits none for those)
  grpc,       // one gRPC call, likewise
  iteration,  // a completed iteration
  dropped,    // an iteration due that no VU could start
  data,       // bytes sent and received since the last iteration's record, at a scenario's end
  scheduler,  // a scheduler call an iteration made (the lifecycle scripts'), and its check
  // One Kafka request with an outcome: `duration` its kafka_req_duration, `sending` its
  // kafka_produce_duration (-1: no delivery report), `failure` its kafka::Fate.
  kafka,
  // Setup's and teardown's own traffic, which belongs to no scenario: `scenario` holds the
  // phase (kSetupPhase or kTeardownPhase) instead.
  phase_http,  // a ready probe or a warm-up request
  phase_grpc,  // a call to the scheduler or its proxy
  phase_data,  // the phase's bytes, at its end
};
inline constexpr std::size_t kSampleKinds = 10;
inline constexpr std::uint8_t kSetupPhase = 0, kTeardownPhase = 1;
constexpr bool in_phase(SampleKind k) noexcept { return k >= SampleKind::phase_http; }

struct SampleRecord {
  Nanos at = 0;        // when it ended (or was dropped), on the monotonic clock
  Nanos duration = 0;  // the request's (k6's http_req_duration) or the iteration's
  // REST: k6's decomposition.
  Nanos blocked = 0, connecting = 0, tls_handshaking = 0, sending = 0, waiting = 0, receiving = 0;
  // From the iteration's intended start (scheduled iterations), else -1: for a request its
  // *_duration_intended; for an iteration its schedule_lateness.
  Nanos intended = -1;
  // The model called (scv2::ModelPick). A scheduler call: target_id is the method
  // (scv2::control_method_index), target_type the check (scenario::ControlCheck). A phase's
  // REST request: target_id is the model's place in setup's list, target_type 1 for a warm-up.
  std::uint32_t target_type = 0, target_id = 0;
  // An iteration (or data) record: the bytes the scenario's connections on this worker moved
  // since the previous such record, so that their sum is exactly the summary's data_sent and
  // data_received, gRPC's shared connections included.
  std::uint32_t bytes_sent = 0, bytes_received = 0;
  std::uint16_t status = 0;  // HTTP status, or the gRPC status code
  std::uint8_t failure = 0;  // net::Failure (REST) or grpc::CallFailure (gRPC)
  std::uint8_t detail = 0;   // http1::ParseError (REST), net::Failure behind a gRPC transport failure
  std::uint8_t scenario = 0;  // index into the run's scenarios
  SampleKind kind = SampleKind::http;
  bool passed = false;  // a scheduler call's check
  // REST over TLS: the version's low byte (tls::Version: 3 for TLS 1.2, 4 for 1.3); 0 over TCP.
  std::uint8_t tls_version = 0;
};

// The rows a record makes on top of its kind's fixed ones (see output::SampleExpander::rows_of):
// a scheduled iteration's *_intended or schedule_lateness row, and a Kafka request's
// kafka_produce_duration when it had a delivery report. Lost records are counted by it, so that
// the rows lost with them are exact.
inline constexpr std::size_t kMaxOptionalRows = 2;
constexpr std::size_t optional_rows(const SampleRecord& r) noexcept {
  return (r.intended >= 0 ? 1 : 0) + (r.kind == SampleKind::kafka && r.sending >= 0 ? 1 : 0);
}

// One producer (a worker thread), one consumer (the output thread).
class SampleRing {
 public:
  explicit SampleRing(std::size_t capacity_pow2)
      : mask_(capacity_pow2 - 1), slots_(std::make_unique<SampleRecord[]>(capacity_pow2)) {}

  // Producer. False when full: the record is lost, and counted.
  bool push(const SampleRecord& r) noexcept {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_cache_ > mask_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head - tail_cache_ > mask_) {
        // One writer: a relaxed load and store, no read-modify-write, so that the output
        // thread may read the count while the run goes on.
        auto& lost = lost_[static_cast<std::size_t>(r.kind)][optional_rows(r)];
        lost.store(lost.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return false;
      }
    }
    slots_[head & mask_] = r;
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // Consumer: calls f(record) for every record pushed so far, oldest first; returns how many.
  template <class F>
  std::size_t drain(F&& f) {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    const std::uint64_t head = head_.load(std::memory_order_acquire);
    for (std::uint64_t i = tail; i != head; ++i) f(slots_[i & mask_]);
    tail_.store(head, std::memory_order_release);
    return static_cast<std::size_t>(head - tail);
  }

  // Records lost because the ring was full, by kind and by their optional_rows (a scheduled
  // iteration's record, without Kafka's produce row, has 1). Exact once the producer has stopped;
  // while it runs, a count that may lag by the records lost meanwhile.
  std::uint64_t lost(SampleKind k, std::size_t optional) const noexcept {
    return optional <= kMaxOptionalRows ? lost_[static_cast<std::size_t>(k)][optional].load(std::memory_order_relaxed) : 0;
  }
  std::size_t capacity() const noexcept { return mask_ + 1; }

 private:
  // Producer and consumer indices on lines of their own: no false sharing on every push.
  alignas(64) std::atomic<std::uint64_t> head_{0};
  std::uint64_t tail_cache_ = 0;
  std::atomic<std::uint64_t> lost_[kSampleKinds][kMaxOptionalRows + 1] = {};
  alignas(64) std::atomic<std::uint64_t> tail_{0};
  alignas(64) const std::size_t mask_;
  std::unique_ptr<SampleRecord[]> slots_;
};

}  // namespace inferload::metrics
