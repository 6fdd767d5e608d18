#pragma once
// What a data-plane request asks for, in SCv2's naming: "m" (through envoy), "m_3" (a version,
// scheduler or server direct), "m_0" (scheduler proxy), "p.pipeline", "e.experiment". Pure
// string work, apart from any state.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace scv2sim {

struct Target {
    enum class Kind { model, pipeline, experiment };
    Kind kind = Kind::model;
    std::string_view name;  // without the ".pipeline" / ".experiment" suffix
};

// A seldon-model value: a ".pipeline" or ".experiment" suffix (after a non-empty name) says what
// it names; anything else names a model.
Target parse_seldon_model(std::string_view value);

// The one-line reason a request for `target` is refused, the same for REST and gRPC.
std::string not_served_reason(const Target& target);

// "m_3" -> ("m", 3); nullopt unless the name ends in '_' and digits (a uint32) after a non-empty
// base. The caller decides whether the whole name or the split one is meant.
std::optional<std::pair<std::string_view, std::uint32_t>> split_version(std::string_view name);

}  // namespace scv2sim
