#pragma once
// --prometheus ADDR, the same as --out prometheus=ADDR (or K6_OUT): one /metrics endpoint per
// run, bound before the header so that a bad address or a port in use stops the run before any
// load is sent.
#include <memory>
#include <optional>
#include <string>

#include "inferload/app/sample_outputs_plan.hpp"
#include "inferload/output/sample_rows.hpp"

namespace inferload::app {

// Adds --prometheus to the plan. Throws ExitError when --out gave an endpoint already.
void add_prometheus_flag(SampleOutputsPlan& plan, const std::optional<std::string>& flag);
// The address's form, before the run's slower checks (targets, the scheduler). Throws ExitError.
void check_prometheus_address(const SampleOutputsPlan& plan);

// Binds and starts the endpoint of plan.prometheus (which must be set); `described` is what the
// header's output line says of it. Throws ExitError(kExitOtherError) naming the flag.
std::unique_ptr<output::SampleSink> open_prometheus(const SampleOutputsPlan& plan, std::string& described);

}  // namespace inferload::app
