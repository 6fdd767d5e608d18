#pragma once
// The models SCv2's setupBase loads (suite section 1.0): model i of type j is
// MODELNAME_PREFIX[j] + i for i < MAX_NUM_MODELS[j], its spec from the catalogue (URI copy 1, as
// setupBase asks), MODEL_MEMORY_BYTES[j] in bytes and MODEL_NUM_REPLICAS[j]; each with the
// readiness probe and the warm-up request the data plane will answer.
#include <vector>

#include "inferload/net/endpoint.hpp"
#include "inferload/scenario/control_setup.hpp"
#include "inferload/scv2/settings.hpp"

namespace inferload::scenario {

// Throws std::invalid_argument naming the variable at fault (MODEL_TYPE for an unknown type).
// `warmup`: build each model's warm-up inference (WARMUP).
std::vector<ControlModel> setup_models(const scv2::Settings& settings, const net::HttpUrl& url, bool warmup);

}  // namespace inferload::scenario
