#pragma once
// Checks a ModelInferRequest the way a V2 server must before running a model.

#include <string>

#include "inference.pb.h"

namespace scv2sim {

// Returns an empty string for a well-formed request, else one line saying what is wrong.
std::string validate_infer_request(const inference::ModelInferRequest& req);

}  // namespace scv2sim
