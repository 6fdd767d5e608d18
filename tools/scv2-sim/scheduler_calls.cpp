#include "scheduler_calls.hpp"

namespace scv2sim {

void SchedulerCalls::count(std::string_view rpc) {
    const std::lock_guard lock(mutex_);
    if (const auto it = calls_.find(rpc); it != calls_.end()) ++it->second;
    else calls_.emplace(std::string(rpc), 1);
}

void SchedulerCalls::reset() {
    const std::lock_guard lock(mutex_);
    calls_.clear();
}

void SchedulerCalls::add_to(boost::json::object& out) const {
    boost::json::object calls;
    {
        const std::lock_guard lock(mutex_);
        for (const auto& [rpc, n] : calls_) calls[rpc] = n;
    }
    out["scheduler_calls"] = std::move(calls);
}

}  // namespace scv2sim
