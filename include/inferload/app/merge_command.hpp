#pragma once
#include "inferload/app/cli.hpp"

namespace inferload::app {

// Runs `inferload merge`: reads the exports, refuses parts of different tests, writes the merged
// export and text summary. Returns the exit code (99 when a threshold fails on the merged
// metrics); throws ExitError for bad input (104: a file that is not an inferload export, or
// exports of different tests; 255: a bad flag, an output that cannot be written).
int merge_command(const MergeArgs& args);

}  // namespace inferload::app
