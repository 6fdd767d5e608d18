#pragma once
// JSON text as JavaScript writes it, so that bodies and summaries match what k6 produced.
#include <string>
#include <string_view>

namespace inferload::oip {

// Number#toString: the shortest digits that round-trip, fixed notation for 1e-6 <= |v| < 1e21,
// exponent notation outside ("1e+21", "1.5e-7"), "NaN", "Infinity", "-Infinity".
std::string js_number(double v);
// JSON.stringify of a number: as js_number, but NaN and the infinities become null.
std::string json_number(double v);
void append_json_number(std::string& out, double v);
// A JSON string literal: quotes, backslashes and control characters escaped, UTF-8 passed through.
void append_json_string(std::string& out, std::string_view s);

}  // namespace inferload::oip
