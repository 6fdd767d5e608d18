#include "grpc_stats.hpp"

namespace scv2sim {

void GrpcStats::count_value(std::map<std::string, std::uint64_t, std::less<>>& map,
                            std::string_view value) {
    if (const auto it = map.find(value); it != map.end()) {
        ++it->second;
    } else if (map.size() < max_map_keys) {
        map.emplace(std::string(value), 1);
    }
}

void GrpcStats::answered(GrpcOutcome outcome, const GrpcCallFacts& facts) {
    constexpr auto relaxed = std::memory_order_relaxed;
    if (outcome == GrpcOutcome::not_found) {
        not_found_.value.fetch_add(1, relaxed);
        return;
    }
    infer_.value.fetch_add(1, relaxed);
    switch (outcome) {
    case GrpcOutcome::ok:
        ok_.value.fetch_add(1, relaxed);
        break;
    case GrpcOutcome::error:
        error_.value.fetch_add(1, relaxed);
        break;
    case GrpcOutcome::invalid:
        invalid_.value.fetch_add(1, relaxed);
        break;
    case GrpcOutcome::not_found:
        break;
    }
    if (facts.has_deadline) with_deadline_.value.fetch_add(1, relaxed);
    if (facts.has_request_id) with_request_id_.value.fetch_add(1, relaxed);
    if (facts.raw_contents) with_raw_contents_.value.fetch_add(1, relaxed);
    if (facts.has_seldon_model || facts.has_internal_model) {
        const std::lock_guard lock(maps_mutex_);
        if (facts.has_seldon_model) count_value(seldon_model_, facts.seldon_model);
        if (facts.has_internal_model) count_value(internal_model_, facts.internal_model);
    }
}

void GrpcStats::reset() {
    for (Counter* c : {&infer_, &ok_, &error_, &invalid_, &not_found_, &with_deadline_,
                       &with_request_id_, &with_raw_contents_})
        c->value.store(0, std::memory_order_relaxed);
    const std::lock_guard lock(maps_mutex_);
    seldon_model_.clear();
    internal_model_.clear();
}

void GrpcStats::add_to(boost::json::object& out) const {
    const auto get = [](const Counter& c) { return c.value.load(std::memory_order_relaxed); };
    out["grpc_infer"] = get(infer_);
    out["grpc_infer_ok"] = get(ok_);
    out["grpc_infer_error"] = get(error_);
    out["grpc_infer_invalid"] = get(invalid_);
    out["grpc_with_deadline"] = get(with_deadline_);
    out["grpc_with_request_id"] = get(with_request_id_);
    out["grpc_with_raw_contents"] = get(with_raw_contents_);
    const auto to_object = [](const std::map<std::string, std::uint64_t, std::less<>>& map) {
        boost::json::object o;
        for (const auto& [key, count] : map) o[key] = count;
        return o;
    };
    const std::lock_guard lock(maps_mutex_);
    out["grpc_seldon_model"] = to_object(seldon_model_);
    out["grpc_internal_model"] = to_object(internal_model_);
}

}  // namespace scv2sim
