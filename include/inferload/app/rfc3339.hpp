#pragma once
// RFC 3339 instants as Kubernetes manifests and `date -u +%Y-%m-%dT%H:%M:%SZ` write them.
#include <string_view>

#include "inferload/runtime/clock.hpp"

namespace inferload::app {

// "2025-06-01T12:00:00Z", "2025-06-01T12:00:00.250+02:00" (t and z in either case; fractions
// to the nanosecond) as nanoseconds since the Unix epoch. Throws ExitError(kExitOtherError)
// naming `source` (the flag or variable) for anything else.
runtime::Nanos parse_rfc3339(std::string_view source, std::string_view text);

}  // namespace inferload::app
