#include "routes.hpp"

namespace scv2sim {

Route route(boost::beast::http::verb method, std::string_view target) {
    using boost::beast::http::verb;
    // Clients may add a query string (e.g. cache busters); the path alone decides the route.
    if (const auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);

    constexpr std::string_view models = "/v2/models/";
    if (target.substr(0, models.size()) == models) {
        const std::string_view rest = target.substr(models.size());
        const auto slash = rest.find('/');
        if (slash == 0 || slash == std::string_view::npos) return {};
        const std::string_view model = rest.substr(0, slash);
        const std::string_view action = rest.substr(slash + 1);
        if (action == "infer" && method == verb::post) return {Endpoint::infer, model};
        if (action == "ready" && method == verb::get) return {Endpoint::model_ready, model};
        return {};
    }
    constexpr std::string_view pipelines = "/v2/pipelines/";
    constexpr std::string_view ready = "/ready";
    if (method == verb::get && target.substr(0, pipelines.size()) == pipelines &&
        target.size() > pipelines.size() + ready.size() &&
        target.substr(target.size() - ready.size()) == ready) {
        const std::string_view pipeline =
            target.substr(pipelines.size(), target.size() - pipelines.size() - ready.size());
        if (pipeline.find('/') != std::string_view::npos) return {};
        return {Endpoint::pipeline_ready, pipeline};
    }
    if (method == verb::get) {
        if (target == "/v2/health/ready") return {Endpoint::health_ready, {}};
        if (target == "/v2/health/live") return {Endpoint::health_live, {}};
        if (target == "/sim/stats") return {Endpoint::stats, {}};
        if (target == "/sim/models") return {Endpoint::models, {}};
    }
    if (method == verb::post && target == "/sim/reset") return {Endpoint::reset, {}};
    return {};
}

}  // namespace scv2sim
