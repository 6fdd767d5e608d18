#include "target.hpp"

#include <charconv>

namespace scv2sim {
namespace {

bool strip_suffix(std::string_view& name, std::string_view suffix) {
    if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix)
        return false;
    name.remove_suffix(suffix.size());
    return true;
}

}  // namespace

Target parse_seldon_model(std::string_view value) {
    if (strip_suffix(value, ".pipeline")) return {Target::Kind::pipeline, value};
    if (strip_suffix(value, ".experiment")) return {Target::Kind::experiment, value};
    return {Target::Kind::model, value};
}

std::string not_served_reason(const Target& target) {
    const char* kind = target.kind == Target::Kind::pipeline     ? "pipeline"
                       : target.kind == Target::Kind::experiment ? "experiment"
                                                                 : "model";
    return std::string(kind) + " '" + std::string(target.name) +
           "' is not served: not loaded, not ready or unloaded";
}

std::optional<std::pair<std::string_view, std::uint32_t>> split_version(std::string_view name) {
    const auto underscore = name.rfind('_');
    if (underscore == std::string_view::npos || underscore == 0 || underscore + 1 == name.size())
        return std::nullopt;
    const std::string_view digits = name.substr(underscore + 1);
    std::uint32_t version = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
    if (ec != std::errc() || end != digits.data() + digits.size())
        return std::nullopt;
    return std::pair{name.substr(0, underscore), version};
}

}  // namespace scv2sim
