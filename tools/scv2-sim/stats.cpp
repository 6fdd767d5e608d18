#include "stats.hpp"

#include <boost/json.hpp>

#include "registry.hpp"
#include "scheduler_calls.hpp"

namespace scv2sim {

void Stats::response_written(Counted what) {
    constexpr auto relaxed = std::memory_order_relaxed;
    switch (what) {
    case Counted::infer_ok:
        rest_infer_.value.fetch_add(1, relaxed);
        rest_infer_ok_.value.fetch_add(1, relaxed);
        break;
    case Counted::infer_error:
        rest_infer_.value.fetch_add(1, relaxed);
        rest_infer_error_.value.fetch_add(1, relaxed);
        break;
    case Counted::infer_bad_request:
        rest_infer_.value.fetch_add(1, relaxed);
        rest_infer_bad_request_.value.fetch_add(1, relaxed);
        break;
    case Counted::not_found:
        rest_not_found_.value.fetch_add(1, relaxed);
        break;
    case Counted::ready:
        rest_ready_.value.fetch_add(1, relaxed);
        break;
    case Counted::other:
        break;
    case Counted::nothing:
        return;
    }
    http_requests_.value.fetch_add(1, relaxed);
}

void Stats::rest_infer_headers(std::string_view seldon_model, std::string_view request_id) {
    const std::lock_guard lock(headers_mutex_);
    if (!seldon_model.empty()) {
        auto it = rest_seldon_model_.find(seldon_model);
        if (it == rest_seldon_model_.end()) it = rest_seldon_model_.emplace(std::string(seldon_model), 0).first;
        ++it->second;
    }
    if (!request_id.empty()) {
        ++rest_with_request_id_;
        if (request_ids_.size() < kMaxRequestIds) request_ids_.emplace(request_id);
    }
}

void Stats::reset() {
    for (Counter* c : {&rest_infer_, &rest_infer_ok_, &rest_infer_error_, &rest_infer_bad_request_,
                       &rest_ready_, &rest_not_found_, &connections_, &http_requests_})
        c->value.store(0, std::memory_order_relaxed);
    if (grpc_) grpc_->reset();
    if (scheduler_) scheduler_->reset();
    if (kafka_) kafka_->reset();
    const std::lock_guard lock(headers_mutex_);
    rest_seldon_model_.clear();
    rest_with_request_id_ = 0;
    request_ids_.clear();
}

std::string Stats::to_json() const {
    const auto get = [](const Counter& c) { return c.value.load(std::memory_order_relaxed); };
    boost::json::object out{
        {"rest_infer", get(rest_infer_)},
        {"rest_infer_ok", get(rest_infer_ok_)},
        {"rest_infer_error", get(rest_infer_error_)},
        {"rest_infer_bad_request", get(rest_infer_bad_request_)},
        {"rest_ready", get(rest_ready_)},
        {"connections", get(connections_)},
        {"http_requests", get(http_requests_)},
        {"not_found", get(rest_not_found_) + (grpc_ ? grpc_->not_found() : 0) +
                          (kafka_ ? kafka_->not_found() : 0)},
        {"loaded_models", registry_ ? registry_->available_models() : 0},
    };
    {
        const std::lock_guard lock(headers_mutex_);
        boost::json::object models;
        for (const auto& [name, n] : rest_seldon_model_) models[name] = n;
        out["rest_seldon_model"] = std::move(models);
        out["rest_with_request_id"] = rest_with_request_id_;
        out["rest_request_ids_distinct"] = request_ids_.size();
    }
    if (grpc_) grpc_->add_to(out);
    if (scheduler_) scheduler_->add_to(out);
    if (kafka_) kafka_->add_to(out);
    return boost::json::serialize(out);
}

}  // namespace scv2sim
