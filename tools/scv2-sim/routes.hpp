#pragma once
// Which endpoint a request is for. Pure string work, so it can be reasoned about apart from I/O.

// Boost 1.81's core string_view header streams without including <ostream> itself.
#include <ostream>

#include <boost/beast/http/verb.hpp>

#include <string_view>

namespace scv2sim {

enum class Endpoint {
    infer,
    model_ready,
    pipeline_ready,
    health_ready,
    health_live,
    stats,
    models,
    reset,
    not_found,
};

struct Route {
    Endpoint endpoint = Endpoint::not_found;
    std::string_view model;  // points into the request target: the model (pipeline) named
};

Route route(boost::beast::http::verb method, std::string_view target);

}  // namespace scv2sim
