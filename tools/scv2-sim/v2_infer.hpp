#pragma once
// Open Inference Protocol (KServe V2) REST infer: validate a request, build the echo response.

#include <boost/json/parser.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace scv2sim {

// One per session: keeps the JSON parser's stack and a scratch arena alive across requests, so a
// typical small request is parsed and answered without touching the heap for the JSON tree.
class InferEcho {
public:
    InferEcho();

    // On success writes the V2 response for `model` into `out` and returns true. On a malformed
    // or invalid request writes a one-line reason into `error` and returns false.
    bool answer(std::string_view body, std::string_view model, std::string_view id,
                std::string& out, std::string& error);

private:
    static constexpr std::size_t arena_size = 16 * 1024;
    std::unique_ptr<unsigned char[]> arena_;
    boost::json::parser parser_;
};

// {"error":"<message>"} with the message JSON-escaped.
std::string error_body(std::string_view message);

}  // namespace scv2sim
