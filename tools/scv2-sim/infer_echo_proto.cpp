#include "infer_echo_proto.hpp"

namespace scv2sim {

void echo_first_input(const inference::ModelInferRequest& req, inference::ModelInferResponse& res) {
    res.set_model_name(req.model_name());
    res.set_model_version(req.model_version().empty() ? "1" : req.model_version());
    res.set_id(req.id());
    const auto& in = req.inputs(0);
    auto* out = res.add_outputs();
    out->set_name("OUTPUT0");
    out->set_datatype(in.datatype());
    *out->mutable_shape() = in.shape();
    if (req.raw_input_contents_size() > 0)
        res.add_raw_output_contents(req.raw_input_contents(0));
    else
        *out->mutable_contents() = in.contents();
}

}  // namespace scv2sim
