#pragma once
// --report FILE.html: one self-contained page (no network: script and styles inline, system
// fonts) with the run's charts over time, drawn from once-a-second snapshots, and its summary
// table, for each scenario. Its size grows with the run's seconds, not with its requests.
#include <string>
#include <vector>

#include "inferload/load/engine.hpp"
#include "inferload/output/run_report.hpp"

namespace inferload::output {

// One second of the run, from the engine's progress report (counts are cumulative).
struct TimelinePoint {
  double t = 0;  // seconds since the start
  std::int64_t requests = 0, failed = 0, iterations = 0, dropped = 0, vus = 0;
  std::vector<load::ScenarioProgress> scenarios;
  // Of the requests and scheduled iterations that ended in this second (ms; -1: none).
  double p50 = -1, p95 = -1, p99 = -1, lateness_p50 = -1, lateness_p99 = -1;
};

// Keeps the timeline: add() is called with each once-a-second progress report.
class Timeline {
 public:
  void add(const load::Progress& p);
  const std::vector<TimelinePoint>& points() const noexcept { return points_; }

 private:
  std::vector<TimelinePoint> points_;
  metrics::LiveHistogram::Counts last_durations_{}, last_lateness_{};
};

struct ReportPage {
  std::string title;       // e.g. "inferload: infer_constant_vu"
  std::string started_at;  // RFC 3339
  std::vector<std::string> scenario_names;
  std::vector<std::string> scenario_descriptions;
};

std::string render_html_report(const ReportPage& page, const Timeline& timeline, const RunReport& report);

}  // namespace inferload::output
