#pragma once
// Durations as k6 users write them.
#include <string>
#include <string_view>

#include "inferload/runtime/clock.hpp"

namespace inferload::runtime {

enum class DurationSyntax {
  cli,       // Go syntax ("90s", "1m30s", "250ms", "1.5h"); a bare number other than 0 is an error
  extended,  // env vars and config: Go syntax, an optional leading day part ("2d", "1d12h"),
             // and a bare number meaning milliseconds ("1500" = 1.5 s)
};

// Go's Duration.String(), as k6 prints durations: 30s, 1m0s, 2h0m0s, 1.5s, 500ms, 250\u00b5s.
std::string format_go_duration(Nanos d);

// Parses a non-negative duration of at most `max` into nanoseconds. Throws std::invalid_argument
// with a message that quotes the text and, when it is too large, gives `max` (the caller
// prefixes the flag or variable name).
Nanos parse_duration(std::string_view text, DurationSyntax syntax = DurationSyntax::cli, Nanos max = kNever);

}  // namespace inferload::runtime
