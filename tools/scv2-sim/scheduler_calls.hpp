#pragma once
// How often each scheduler RPC was called, reported in /sim/stats as "scheduler_calls".

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace scv2sim {

class SchedulerCalls {
public:
    // `rpc` is the method's name, "proxy." before the scheduler proxy's.
    void count(std::string_view rpc);
    void reset();
    void add_to(boost::json::object& out) const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::uint64_t, std::less<>> calls_;  // keys: the fixed RPC names only
};

}  // namespace scv2sim
