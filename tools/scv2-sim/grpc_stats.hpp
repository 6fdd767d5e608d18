#pragma once
// Counters of the gRPC side, reported in /sim/stats next to the REST counters.

#include <boost/json/object.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace scv2sim {

// not_found: refused because the model is not served (--models registry); such a call counts
// only as not_found, not in grpc_infer nor in the metadata maps.
enum class GrpcOutcome { ok, error, invalid, not_found };

// What one ModelInfer call carried, counted together with its outcome.
struct GrpcCallFacts {
    std::string_view seldon_model;    // empty when the metadata was absent
    std::string_view internal_model;  // likewise
    bool has_seldon_model = false;
    bool has_internal_model = false;
    bool has_deadline = false;
    bool has_request_id = false;
    bool raw_contents = false;  // the inputs' data came in raw_input_contents
};

class GrpcStats {
public:
    // A test server only: a hostile client must not grow the maps without bound.
    static constexpr std::size_t max_map_keys = 10000;

    // Called before the call's status is sent, so that a client which has its answer finds it
    // counted in the next /sim/stats.
    void answered(GrpcOutcome outcome, const GrpcCallFacts& facts);
    void reset();
    void add_to(boost::json::object& out) const;
    std::uint64_t not_found() const { return not_found_.value.load(std::memory_order_relaxed); }

private:
    struct alignas(64) Counter {
        std::atomic<std::uint64_t> value{0};
    };
    static void count_value(std::map<std::string, std::uint64_t, std::less<>>& map,
                            std::string_view value);

    Counter infer_, ok_, error_, invalid_, not_found_, with_deadline_, with_request_id_,
        with_raw_contents_;
    mutable std::mutex maps_mutex_;
    std::map<std::string, std::uint64_t, std::less<>> seldon_model_;
    std::map<std::string, std::uint64_t, std::less<>> internal_model_;
};

}  // namespace scv2sim
