#pragma once
// Thresholds with abortOnFail, evaluated while the run goes on (k6-semantics.md 5.3): a sink of
// the sample rows that aggregates each watched metric or submetric from the start, evaluates
// every 2 s, as k6 does, those whose delayAbortEval has passed, and calls `on_abort` once, with
// the names of the metrics crossed, when one fails. The run's end evaluates every threshold
// again, exactly, from the workers' own histograms; this view only decides whether to stop early.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "inferload/metrics/histogram.hpp"
#include "inferload/output/sample_rows.hpp"
#include "inferload/output/threshold.hpp"

namespace inferload::output {

struct AbortRule {
  std::string metric;      // "http_req_duration" or "http_req_duration{scenario:default}"
  std::string expression;  // "p(95)<500"
  Nanos delay = 0;         // delayAbortEval: not before this much test-run time
};

class LiveThresholds final : public SampleSink {
 public:
  // Throws std::invalid_argument for a rule whose metric no row can carry or whose expression
  // does not parse for its type. `start_unix` 0: the test-run time starts at the first tick.
  LiveThresholds(const std::vector<AbortRule>& rules, Nanos start_unix,
                 std::function<void(const std::string& metrics)> on_abort);
  ~LiveThresholds() override;

  void write(const SampleRow& row) override;
  void tick(Nanos now_unix) override;
  std::string close() override { return {}; }

  bool aborted() const noexcept { return aborted_; }

 private:
  struct Watched;
  std::vector<std::unique_ptr<Watched>> watched_;
  Nanos start_;
  Nanos next_check_;
  std::function<void(const std::string&)> on_abort_;
  bool aborted_ = false;
};

}  // namespace inferload::output
