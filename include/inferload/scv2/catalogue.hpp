#pragma once
// The model types of SCv2's k6 suite (tests/k6/components/model.js) and the inference payloads
// each one sends, as the suite builds them (section 4.2 of the suite's specification).
#include <string>
#include <vector>

namespace inferload::scv2 {

// Every MODEL_TYPE the suite knows, in its catalogue order.
const std::vector<std::string>& known_model_types();

// The REST (V2 JSON) request body for `type` at batch size `batch`. Throws std::invalid_argument
// naming MODEL_TYPE for a type the suite does not know.
std::string rest_payload(const std::string& type, int batch);

}  // namespace inferload::scv2
