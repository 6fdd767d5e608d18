#pragma once
// How the simulated scheduler treats models: which ones the data plane serves, and how long a
// load takes.

#include <chrono>
#include <string>
#include <vector>

namespace scv2sim {

enum class ModelsMode {
    any,       // every name is served, loaded or not (no control plane needed)
    registry,  // only what the scheduler has made available is served
};

struct RegistryConfig {
    ModelsMode mode = ModelsMode::any;
    // How long a model, pipeline or experiment takes to get ready, and a model to terminate.
    std::chrono::nanoseconds load_delay{0};
    // Models that go to ModelFailed instead of ModelAvailable once the delay has passed.
    std::vector<std::string> fail_models;
};

}  // namespace scv2sim
