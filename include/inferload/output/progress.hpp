#pragma once
// The live progress block k6 prints every second when stdout is not a terminal (Kubernetes
// logs, CI), followed by one line of inferload's own figures.
#include <string>
#include <vector>

#include "inferload/load/engine.hpp"

namespace inferload::output {

// k6's fixed-length elapsed-time format, whose fields depend on `max` (the longest the value
// can get): 5.0s, 05.0s, 0m05.0s, 00m05.0s, 0h00m05.0s, 00h00m05.0s, 0d00h00m05.0s.
std::string format_progress_time(runtime::Nanos t, runtime::Nanos max);

// The block for the run's scenarios, in the order they were given.
std::string render_progress(const load::Progress& p, const std::vector<load::ScenarioConfig>& scenarios);

}  // namespace inferload::output
