#pragma once
// Kubernetes resource quantities ("400k", "8M", "1.5Gi", "1e3", "500m"), as Model custom
// resources carry `spec.memory`, turned into a whole number of units the way Kubernetes'
// Quantity.Value() does: exactly, with any fraction rounded up.
#include <cstdint>
#include <string_view>

namespace inferload::scv2 {

// Accepts <sign?><digits[.digits]><suffix>, the suffix one of "", n, u, m, k, M, G, T, P, E,
// Ki, Mi, Gi, Ti, Pi, Ei, or an exponent e<int>/E<int> ("E" alone is exa). Throws
// std::invalid_argument with a one-line reason that quotes the text (the caller prefixes the
// variable or field it came from) when the text is not a quantity, is negative or is above
// 2^64-1. Unlike Kubernetes, which caps values above 2^63-1, a value too large is an error.
std::uint64_t parse_quantity(std::string_view text);

}  // namespace inferload::scv2
