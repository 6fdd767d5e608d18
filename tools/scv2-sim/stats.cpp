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

void Stats::reset() {
    for (Counter* c : {&rest_infer_, &rest_infer_ok_, &rest_infer_error_, &rest_infer_bad_request_,
                       &rest_ready_, &rest_not_found_, &connections_, &http_requests_})
        c->value.store(0, std::memory_order_relaxed);
    if (grpc_) grpc_->reset();
    if (scheduler_) scheduler_->reset();
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
        {"not_found", get(rest_not_found_) + (grpc_ ? grpc_->not_found() : 0)},
        {"loaded_models", registry_ ? registry_->available_models() : 0},
    };
    if (grpc_) grpc_->add_to(out);
    if (scheduler_) scheduler_->add_to(out);
    return boost::json::serialize(out);
}

}  // namespace scv2sim
