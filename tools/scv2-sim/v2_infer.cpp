#include "v2_infer.hpp"

#include <boost/json.hpp>

#include <cstdint>

namespace json = boost::json;

namespace scv2sim {
namespace {

bool has_nested_array(const json::array& a) {
    for (const json::value& v : a)
        if (v.is_array()) return true;
    return false;
}

void flatten_into(const json::array& a, json::array& out) {
    for (const json::value& v : a) {
        if (v.is_array()) flatten_into(v.get_array(), out);
        else out.push_back(v);
    }
}

std::size_t count_leaves(const json::array& a) {
    std::size_t n = 0;
    for (const json::value& v : a) n += v.is_array() ? count_leaves(v.get_array()) : 1;
    return n;
}

// Product of the shape, or false if the shape is not an array of non-negative integers. The cap
// keeps the product from overflowing; no valid body under 64 MiB gets near it anyway.
bool shape_elements(const json::value& shape, std::uint64_t& product) {
    if (!shape.is_array()) return false;
    product = 1;
    for (const json::value& d : shape.get_array()) {
        std::uint64_t dim = 0;
        if (d.is_uint64()) dim = d.get_uint64();
        else if (d.is_int64() && d.get_int64() >= 0) dim = static_cast<std::uint64_t>(d.get_int64());
        else return false;
        if (dim != 0 && product > (std::uint64_t{1} << 48) / dim) return false;
        product *= dim;
    }
    return true;
}

void serialize_into(const json::value& v, std::string& out) {
    json::serializer sr;
    sr.reset(&v);
    out.clear();
    while (!sr.done()) {
        const std::size_t used = out.size();
        out.resize(used + (used < 4096 ? 4096 : used));
        const auto written = sr.read(out.data() + used, out.size() - used);
        out.resize(used + written.size());
    }
}

// Checks one input and turns it into the matching output, moving (not copying) shape and data
// when they are already flat: both live in the same per-request arena.
bool echo_input(json::value& input, std::size_t index, json::array& outputs, std::string& error) {
    const std::string where = "inputs[" + std::to_string(index) + "]";
    if (!input.is_object()) {
        error = where + " must be an object";
        return false;
    }
    json::object& in = input.get_object();
    const json::value* name = in.if_contains("name");
    json::value* shape = in.if_contains("shape");
    json::value* datatype = in.if_contains("datatype");
    json::value* data = in.if_contains("data");
    if (!name || !name->is_string()) {
        error = where + ".name must be a string";
        return false;
    }
    std::uint64_t expected = 0;
    if (!shape || !shape_elements(*shape, expected)) {
        error = where + ".shape must be an array of non-negative integers";
        return false;
    }
    if (!datatype || !datatype->is_string() || datatype->get_string().empty()) {
        error = where + ".datatype must be a non-empty string";
        return false;
    }
    if (!data || !data->is_array()) {
        error = where + ".data must be an array";
        return false;
    }
    json::array& raw = data->get_array();
    const bool nested = has_nested_array(raw);
    const std::size_t found = nested ? count_leaves(raw) : raw.size();
    if (found != expected) {
        error = where + " ('" + std::string(name->get_string()) + "'): data has " +
                std::to_string(found) + " elements but shape " + json::serialize(*shape) +
                " needs " + std::to_string(expected);
        return false;
    }

    json::object out(outputs.storage());
    out.reserve(4);
    out.emplace("name", "OUTPUT" + std::to_string(index));
    out.emplace("datatype", std::move(*datatype));
    out.emplace("shape", std::move(*shape));
    if (nested) {
        json::array flat(outputs.storage());
        flat.reserve(found);
        flatten_into(raw, flat);
        out.emplace("data", std::move(flat));
    } else {
        out.emplace("data", std::move(raw));
    }
    outputs.emplace_back(std::move(out));
    return true;
}

}  // namespace

InferEcho::InferEcho() : arena_(new unsigned char[arena_size]) {}

bool InferEcho::answer(std::string_view body, std::string_view model, std::string_view id,
                       std::string& out, std::string& error) {
    // Larger requests spill from the arena to the heap; all of it is freed when mr goes.
    json::monotonic_resource mr(arena_.get(), arena_size);
    parser_.reset(&mr);
    json::error_code ec;
    parser_.write(body.data(), body.size(), ec);
    if (ec) {
        parser_.reset();
        error = "malformed JSON: " + ec.message();
        return false;
    }
    json::value request = parser_.release();
    parser_.reset();  // drop the parser's pointer to mr before mr dies

    json::object* req = request.if_object();
    json::value* inputs = req ? req->if_contains("inputs") : nullptr;
    if (!req) {
        error = "request must be a JSON object";
        return false;
    }
    if (!inputs || !inputs->is_array() || inputs->get_array().empty()) {
        error = "request must have a non-empty 'inputs' array";
        return false;
    }

    json::value response(json::object_kind, &mr);
    json::object& res = response.get_object();
    res.reserve(5);
    res.emplace("model_name", model);
    res.emplace("model_version", "1");
    res.emplace("id", id);
    res.emplace("parameters", json::object(&mr));
    json::array outputs(&mr);
    json::array& in = inputs->get_array();
    outputs.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i)
        if (!echo_input(in[i], i, outputs, error)) return false;
    res.emplace("outputs", std::move(outputs));
    serialize_into(response, out);
    return true;
}

std::string error_body(std::string_view message) {
    return json::serialize(json::object{{"error", message}});
}

}  // namespace scv2sim
