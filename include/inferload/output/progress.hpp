#pragma once
// The live progress block k6 prints every second when stdout is not a terminal (Kubernetes
// logs, CI), followed by one line of inferload's own figures.
#include <string>
#include <vector>

#include "inferload/load/engine.hpp"
#include "inferload/load/scenario_share.hpp"

namespace inferload::output {

// k6's fixed-length elapsed-time format, whose fields depend on `max` (the longest the value
// can get): 5.0s, 05.0s, 0m05.0s, 00m05.0s, 0h00m05.0s, 00h00m05.0s, 0d00h00m05.0s.
std::string format_progress_time(runtime::Nanos t, runtime::Nanos max);

// The block for the run's scenarios, in the order they were given, with the numbers of this
// process's segment of the test: `shares[i]` is scenario i's (load::share_of, made once: for a
// split test it is worth a re-derived sequence); none, the whole test's.
std::string render_progress(const load::Progress& p, const std::vector<load::ScenarioConfig>& scenarios,
                            const std::vector<load::ScenarioShare>& shares = {});

// What the terminal display adds, over the last second or so.
struct LiveFigures {
  double requests_per_second = 0;
  double p95_ms = -1;  // -1: no request ended in the window
};

// The block as k6 draws it on a terminal: `[=====>-----]` bars of `bar_width` characters
// (brackets included; k6's 40 at most, narrower to fit `columns`), and inferload's line with the
// request rate and p95 of the last second.
std::string render_progress_tty(const load::Progress& p, const std::vector<load::ScenarioConfig>& scenarios,
                                const LiveFigures& live, int columns,
                                const std::vector<load::ScenarioShare>& shares = {});

}  // namespace inferload::output
