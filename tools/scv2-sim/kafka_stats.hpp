#pragma once
// Counters of the simulated Kafka gateway, reported in /sim/stats next to the REST and gRPC ones.

#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>

namespace scv2sim {

// answered: a reply produced on an outputs topic; error: one produced as an error record;
// not_found: a record dropped because --models registry does not serve its model or pipeline.
enum class KafkaOutcome { answered, error, not_found };

class KafkaStats {
public:
    // Counted before the record is produced, so that a client holding it finds it counted;
    // taken back with uncount() if librdkafka refuses the record.
    void count(KafkaOutcome outcome) { counter(outcome).fetch_add(1, std::memory_order_relaxed); }
    void uncount(KafkaOutcome outcome) { counter(outcome).fetch_sub(1, std::memory_order_relaxed); }
    std::uint64_t not_found() const { return not_found_.load(std::memory_order_relaxed); }
    void reset() {
        for (auto* c : {&answered_, &errors_, &not_found_}) c->store(0, std::memory_order_relaxed);
    }
    void add_to(boost::json::object& out) const {
        out["kafka_infer"] = answered_.load(std::memory_order_relaxed);
        out["kafka_errors"] = errors_.load(std::memory_order_relaxed);
    }

private:
    std::atomic<std::uint64_t>& counter(KafkaOutcome outcome) {
        return outcome == KafkaOutcome::answered ? answered_
               : outcome == KafkaOutcome::error  ? errors_
                                                 : not_found_;
    }
    // One thread writes these: no padding against false sharing is needed.
    std::atomic<std::uint64_t> answered_{0}, errors_{0}, not_found_{0};
};

}  // namespace scv2sim
