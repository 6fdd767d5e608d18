#pragma once
// Counters of what the simulator served, so tests can compare a client's counts with ours.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "grpc_stats.hpp"
#include "kafka_stats.hpp"

namespace scv2sim {

class Registry;
class SchedulerCalls;

// What a response counts as once it has been fully written.
// not_found: an infer request refused because its model is not served (--models registry).
enum class Counted { infer_ok, infer_error, infer_bad_request, not_found, ready, other, nothing };

class Stats {
public:
    void connection_accepted() { connections_.value.fetch_add(1, std::memory_order_relaxed); }
    void response_written(Counted what);
    // An infer request served: its seldon-model header (counted per value) and its x-request-id
    // (counted, and its distinct values up to kMaxRequestIds), "" for one it did not carry.
    void rest_infer_headers(std::string_view seldon_model, std::string_view request_id);
    static constexpr std::size_t kMaxRequestIds = 1'000'000;
    void reset();
    std::string to_json() const;
    // Only with --grpc-port, and before any thread serves: without it /sim/stats keeps its keys.
    void attach_grpc(GrpcStats* grpc) { grpc_ = grpc; }
    // Always, before any thread serves: "loaded_models" is the registry's count.
    void attach_registry(const Registry* registry) { registry_ = registry; }
    // Only with --scheduler-port, like attach_grpc.
    void attach_scheduler(SchedulerCalls* calls) { scheduler_ = calls; }
    // Only with --kafka, like attach_grpc.
    void attach_kafka(KafkaStats* kafka) { kafka_ = kafka; }

    // Writes handed to the kernel whose completion has not yet been counted. /sim/stats waits
    // (briefly) for this to drain so that a client which has read all its responses sees them
    // all counted even when another thread has not yet run the write's completion handler.
    void write_started() { in_flight_.value.fetch_add(1, std::memory_order_relaxed); }
    void write_finished() { in_flight_.value.fetch_sub(1, std::memory_order_release); }
    std::int64_t writes_in_flight() const {
        return in_flight_.value.load(std::memory_order_acquire);
    }

private:
    // One cache line each: with --threads > 1 every response bumps two or three of these.
    struct alignas(64) Counter {
        std::atomic<std::uint64_t> value{0};
    };
    struct alignas(64) Gauge {
        std::atomic<std::int64_t> value{0};
    };
    Counter rest_infer_, rest_infer_ok_, rest_infer_error_, rest_infer_bad_request_;
    Counter rest_ready_, rest_not_found_, connections_, http_requests_;
    Gauge in_flight_;
    mutable std::mutex headers_mutex_;
    std::map<std::string, std::uint64_t, std::less<>> rest_seldon_model_;
    std::uint64_t rest_with_request_id_ = 0;
    std::unordered_set<std::string> request_ids_;
    GrpcStats* grpc_ = nullptr;
    const Registry* registry_ = nullptr;
    SchedulerCalls* scheduler_ = nullptr;
    KafkaStats* kafka_ = nullptr;
};

}  // namespace scv2sim
