#pragma once
// The simulated model's answer to a V2 ModelInferRequest, shared by gRPC and Kafka.

#include "inference.pb.h"

namespace scv2sim {

// Copies the first input back as OUTPUT0: enough for a client to check it got an answer to its
// own request, at the cost of one tensor. The request must have passed validate_infer_request.
void echo_first_input(const inference::ModelInferRequest& req, inference::ModelInferResponse& res);

}  // namespace scv2sim
