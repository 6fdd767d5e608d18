#include "inferload/app/prometheus_plan.hpp"

#include <stdexcept>

#include "inferload/app/cli.hpp"
#include "inferload/output/metrics_server.hpp"
#include "inferload/output/prometheus.hpp"

namespace inferload::app {

void add_prometheus_flag(SampleOutputsPlan& plan, const std::optional<std::string>& flag) {
  if (!flag) return;
  if (plan.prometheus) {
    throw ExitError(kExitOtherError, "--prometheus: " + plan.prometheus_source + "=" + *plan.prometheus +
                                         " is given too: one endpoint per run");
  }
  if (flag->empty()) throw ExitError(kExitOtherError, "--prometheus: needs the address to serve /metrics on: HOST:PORT");
  plan.prometheus = *flag;
  plan.order.push_back("prometheus");
  plan.prometheus_source = "--prometheus";
}

void check_prometheus_address(const SampleOutputsPlan& plan) {
  if (!plan.prometheus) return;
  try {
    output::check_listen_address(*plan.prometheus);
  } catch (const std::runtime_error& e) {
    throw ExitError(kExitOtherError, plan.prometheus_source + ": " + e.what());
  }
}

std::unique_ptr<output::SampleSink> open_prometheus(const SampleOutputsPlan& plan, std::string& described) {
  std::string url;
  try {
    auto sink = output::make_prometheus_output(*plan.prometheus, url);
    described = "prometheus (" + url + ")";
    return sink;
  } catch (const std::runtime_error& e) {
    throw ExitError(kExitOtherError, plan.prometheus_source + ": " + e.what());
  }
}

}  // namespace inferload::app
