#include "grpc_validate.hpp"

#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

namespace scv2sim {
namespace {

struct Datatype {
    std::string_view name;
    std::size_t element_size;  // 0: variable (BYTES), validated by its length prefixes instead
    // How many elements the contents field of this type holds; nullopt for FP16, which has no
    // contents field in the protocol and travels only as raw bytes.
    std::optional<int> (*count)(const inference::InferTensorContents&);
};

using Contents = inference::InferTensorContents;
constexpr Datatype datatypes[] = {
    {"BOOL", 1, [](const Contents& c) -> std::optional<int> { return c.bool_contents_size(); }},
    {"UINT8", 1, [](const Contents& c) -> std::optional<int> { return c.uint_contents_size(); }},
    {"UINT16", 2, [](const Contents& c) -> std::optional<int> { return c.uint_contents_size(); }},
    {"UINT32", 4, [](const Contents& c) -> std::optional<int> { return c.uint_contents_size(); }},
    {"UINT64", 8, [](const Contents& c) -> std::optional<int> { return c.uint64_contents_size(); }},
    {"INT8", 1, [](const Contents& c) -> std::optional<int> { return c.int_contents_size(); }},
    {"INT16", 2, [](const Contents& c) -> std::optional<int> { return c.int_contents_size(); }},
    {"INT32", 4, [](const Contents& c) -> std::optional<int> { return c.int_contents_size(); }},
    {"INT64", 8, [](const Contents& c) -> std::optional<int> { return c.int64_contents_size(); }},
    {"FP16", 2, [](const Contents&) -> std::optional<int> { return std::nullopt; }},
    {"FP32", 4, [](const Contents& c) -> std::optional<int> { return c.fp32_contents_size(); }},
    {"FP64", 8, [](const Contents& c) -> std::optional<int> { return c.fp64_contents_size(); }},
    {"BYTES", 0, [](const Contents& c) -> std::optional<int> { return c.bytes_contents_size(); }},
};

const Datatype* find_datatype(std::string_view name) {
    for (const Datatype& t : datatypes)
        if (t.name == name) return &t;
    return nullptr;
}

// Every field a client may fill, so that data in the wrong field is caught too.
std::size_t total_contents(const Contents& c) {
    return static_cast<std::size_t>(c.bool_contents_size()) + c.int_contents_size() +
           c.int64_contents_size() + c.uint_contents_size() + c.uint64_contents_size() +
           c.fp32_contents_size() + c.fp64_contents_size() + c.bytes_contents_size();
}

// Raw BYTES are a sequence of 4-byte little-endian lengths, each followed by that many bytes.
std::optional<std::uint64_t> raw_bytes_elements(std::string_view raw) {
    std::uint64_t count = 0;
    while (!raw.empty()) {
        if (raw.size() < 4) return std::nullopt;
        const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
        const std::uint64_t len = p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint64_t{p[3]} << 24);
        raw.remove_prefix(4);
        if (len > raw.size()) return std::nullopt;
        raw.remove_prefix(len);
        ++count;
    }
    return count;
}

std::string check_input(const inference::ModelInferRequest::InferInputTensor& in,
                        const std::string* raw) {
    if (in.name().empty()) return "an input has no name";
    const std::string who = "input '" + in.name() + "': ";
    const Datatype* type = find_datatype(in.datatype());
    if (!type) return who + "datatype '" + in.datatype() + "' is not a V2 datatype";
    if (in.shape_size() == 0) return who + "no shape";
    std::uint64_t elements = 1;
    for (const std::int64_t dim : in.shape()) {
        if (dim < 0) return who + "negative dimension in shape";
        // Past 2^62 no request could carry the data, so the overflow case is simply invalid.
        if (dim != 0 && elements > (std::uint64_t{1} << 62) / static_cast<std::uint64_t>(dim))
            return who + "shape too large";
        elements *= static_cast<std::uint64_t>(dim);
    }
    const std::string want = std::to_string(elements);
    if (raw) {
        if (total_contents(in.contents()) != 0) return who + "data both in contents and raw";
        if (type->element_size == 0) {
            const auto n = raw_bytes_elements(*raw);
            if (!n) return who + "raw BYTES with a broken length prefix";
            if (*n != elements) return who + "raw holds " + std::to_string(*n) + " elements, shape wants " + want;
        } else if (raw->size() != elements * type->element_size) {
            return who + "raw holds " + std::to_string(raw->size()) + " bytes, shape wants " +
                   std::to_string(elements * type->element_size);
        }
        return {};
    }
    const std::optional<int> n = type->count(in.contents());
    if (!n) return who + in.datatype() + " data must be sent as raw_input_contents";
    if (static_cast<std::uint64_t>(*n) != elements || total_contents(in.contents()) != elements)
        return who + "contents hold " + std::to_string(total_contents(in.contents())) +
               " elements of which " + std::to_string(*n) + " in the " + in.datatype() +
               " field, shape wants " + want;
    return {};
}

}  // namespace

std::string validate_infer_request(const inference::ModelInferRequest& req) {
    if (req.model_name().empty()) return "model_name is empty";
    if (req.inputs_size() == 0) return "no inputs";
    const bool raw = req.raw_input_contents_size() > 0;
    if (raw && req.raw_input_contents_size() != req.inputs_size())
        return std::to_string(req.raw_input_contents_size()) + " raw_input_contents for " +
               std::to_string(req.inputs_size()) + " inputs";
    for (int i = 0; i < req.inputs_size(); ++i)
        if (std::string e = check_input(req.inputs(i), raw ? &req.raw_input_contents(i) : nullptr);
            !e.empty())
            return e;
    return {};
}

}  // namespace scv2sim
