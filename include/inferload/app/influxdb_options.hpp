#pragma once
// --out influxdb[=URL] as k6 1.1 configures it (k6-semantics.md 6.6), lowest first: defaults,
// the K6_INFLUXDB_* variables, then the URL http://[user:pass@]host:port/DB[?params] with k6's
// query parameters (insecure, payload_size, precision, retention, consistency, pushInterval,
// concurrentWrites, tagsAsFields; an unknown one is an error).
#include <optional>
#include <string>

#include "inferload/output/influxdb_output.hpp"
#include "inferload/scv2/settings.hpp"

namespace inferload::app {

// `source` is where the argument came from ("--out" or "K6_OUT"). Throws ExitError
// (kExitOtherError) whose one line names the flag or variable at fault.
output::InfluxOptions influxdb_options(const std::string& source, const std::optional<std::string>& url,
                                       const scv2::EnvLookup& env);

}  // namespace inferload::app
