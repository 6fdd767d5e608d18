#pragma once
#include "inferload/app/cli.hpp"

namespace inferload::app {

// Runs `inferload run`: validates the configuration, runs the test and writes its results.
// Returns the process exit code; throws ExitError for bad input.
int run_command(const RunArgs& args);

// The whole program: parses argv, dispatches, turns every error into one line on stderr.
int main_entry(int argc, char** argv);

}  // namespace inferload::app
