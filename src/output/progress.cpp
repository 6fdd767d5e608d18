#include "inferload/output/progress.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "inferload/load/scenario_share.hpp"
#include "inferload/runtime/duration.hpp"

namespace inferload::output {
namespace {

int digits(std::int64_t v) {
  int d = 1;
  while (v >= 10) {
    v /= 10;
    ++d;
  }
  return d;
}

std::string padded(std::int64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%0*lld", width, static_cast<long long>(v));
  return buf;
}

}  // namespace

std::string format_progress_time(runtime::Nanos t, runtime::Nanos max) {
  if (t < 0) t = 0;
  const std::int64_t tenths = t / (runtime::kSecond / 10);
  const std::int64_t secs = tenths / 10, tenth = tenths % 10;
  const std::int64_t s = secs % 60, m = (secs / 60) % 60, h = (secs / 3600) % 24, d = secs / 86400;
  const runtime::Nanos sec = runtime::kSecond;
  char buf[64];
  if (max < 10 * sec) std::snprintf(buf, sizeof(buf), "%lld.%llds", (long long)s, (long long)tenth);
  else if (max < 60 * sec) std::snprintf(buf, sizeof(buf), "%02lld.%llds", (long long)s, (long long)tenth);
  else if (max < 600 * sec) std::snprintf(buf, sizeof(buf), "%lldm%02lld.%llds", (long long)(secs / 60), (long long)s, (long long)tenth);
  else if (max < 3600 * sec) std::snprintf(buf, sizeof(buf), "%02lldm%02lld.%llds", (long long)(secs / 60), (long long)s, (long long)tenth);
  else if (max < 36000 * sec) std::snprintf(buf, sizeof(buf), "%lldh%02lldm%02lld.%llds", (long long)(secs / 3600), (long long)m, (long long)s, (long long)tenth);
  else if (max < 86400 * sec) std::snprintf(buf, sizeof(buf), "%02lldh%02lldm%02lld.%llds", (long long)(secs / 3600), (long long)m, (long long)s, (long long)tenth);
  else std::snprintf(buf, sizeof(buf), "%lldd%02lldh%02lldm%02lld.%llds", (long long)d, (long long)h, (long long)m, (long long)s, (long long)tenth);
  return buf;
}

namespace {

// One scenario's bar, as k6 draws it: how far it is, and the executor's own columns.
// `bar_width` 0: k6's non-terminal percentage, else a bar of that many characters.
std::string scenario_line(const load::ScenarioProgress& sp, const load::ScenarioConfig& sc,
                          const load::ScenarioShare& mine, runtime::Nanos elapsed, bool stopping, bool done,
                          std::int64_t interrupted, int bar_width = 0) {
  const runtime::Nanos r = sc.regular_duration();
  const runtime::Nanos own = std::max<runtime::Nanos>(elapsed - sc.start_time, 0);
  const std::string elapsed_text = format_progress_time(std::min(own, r), r);
  const std::string of_r = own >= r ? runtime::format_go_duration(r) : elapsed_text + "/" + runtime::format_go_duration(r);
  double fill = r ? static_cast<double>(std::min(own, r)) / static_cast<double>(r) : 1.0;
  std::string cols;
  switch (sc.executor) {
    case load::ExecutorKind::shared_iterations: {
      fill = mine.iterations ? static_cast<double>(sp.iterations) / static_cast<double>(mine.iterations) : 1.0;
      const int w = digits(static_cast<std::int64_t>(mine.iterations));
      cols = std::to_string(mine.vus) + " VUs  " + elapsed_text + "/" + runtime::format_go_duration(r) + "  " +
             padded(sp.iterations, w) + "/" + std::to_string(mine.iterations) + " shared iters";
      break;
    }
    case load::ExecutorKind::per_vu_iterations: {
      const std::uint64_t total = sc.iterations * static_cast<std::uint64_t>(mine.vus);
      fill = total ? static_cast<double>(sp.iterations) / static_cast<double>(total) : 1.0;
      cols = std::to_string(mine.vus) + " VUs  " + elapsed_text + "/" + runtime::format_go_duration(r) + "  " +
             std::to_string(sp.iterations) + "/" + std::to_string(total) + " iters, " + std::to_string(sc.iterations) +
             " per VU";
      break;
    }
    case load::ExecutorKind::constant_vus: cols = std::to_string(mine.vus) + " VUs  " + of_r; break;
    case load::ExecutorKind::ramping_vus:
      cols = padded(sp.active_vus, digits(mine.peak_vus)) + "/" + std::to_string(mine.peak_vus) + " VUs  " + of_r;
      break;
    case load::ExecutorKind::constant_arrival_rate:
    case load::ExecutorKind::ramping_arrival_rate: {
      char rate[48];
      const double per_s = static_cast<double>(sc.rate) * mine.rate_fraction * 1e9 / static_cast<double>(sc.time_unit);
      std::snprintf(rate, sizeof(rate), "%.2f iters/s", per_s);
      cols = padded(sp.active_vus, digits(mine.max_vus)) + "/" + std::to_string(mine.max_vus) +
             " VUs  " + of_r + "  " + (sc.executor == load::ExecutorKind::constant_arrival_rate ? rate : "") +
             (sp.dropped > 0 ? "  " + std::to_string(sp.dropped) + " dropped" : "");
      break;
    }
  }
  // A run that ended by itself ran every duration-bound scenario to its end, even if the last
  // iteration finished a moment before the clock did.
  if (done && interrupted == 0 && !stopping && sc.executor != load::ExecutorKind::shared_iterations &&
      sc.executor != load::ExecutorKind::per_vu_iterations) {
    fill = 1.0;
  }
  std::string status = " ";
  if (done) status = interrupted > 0 || fill < 1.0 ? "\xE2\x9C\x97" : "\xE2\x9C\x93";  // ✗ / ✓
  else if (stopping || own >= r) status = "\xE2\x86\x93";                             // ↓
  std::string bar;
  if (bar_width >= 9) {
    const int inner = bar_width - 2;
    const int filled = static_cast<int>(std::min(fill, 1.0) * inner + 0.5);
    bar.assign(1, '[');
    bar.append(static_cast<std::size_t>(filled), '=');
    if (filled > 0 && filled < inner) bar.back() = '>';
    bar.append(static_cast<std::size_t>(inner - filled), '-');
    bar.push_back(']');
  } else {
    char pct[32];
    std::snprintf(pct, sizeof(pct), "[ %3.0f%% ]", std::min(fill, 1.0) * 100.0);
    bar = pct;
  }
  return sc.name + " " + status + " " + bar + " " + cols + "\n";
}

// Scenario i's numbers in this process.
load::ScenarioShare share_in(const std::vector<load::ScenarioConfig>& scenarios,
                             const std::vector<load::ScenarioShare>& shares, std::size_t i) {
  return i < shares.size() ? shares[i] : load::share_of(scenarios[i], load::SegmentShare());
}

}  // namespace

std::string render_progress(const load::Progress& p, const std::vector<load::ScenarioConfig>& scenarios,
                            const std::vector<load::ScenarioShare>& shares) {
  runtime::Nanos plan = 0;
  for (const auto& sc : scenarios) plan = std::max(plan, sc.start_time + sc.regular_duration() + sc.graceful_stop);
  const int vu_width = digits(p.vus_max);
  std::string out = "running (" + format_progress_time(p.elapsed, plan) + "), " + padded(p.active_vus, vu_width) + "/" +
                    padded(p.vus_max, vu_width) + " VUs, " + std::to_string(p.iterations) + " complete and " +
                    std::to_string(p.interrupted) + " interrupted iterations\n";
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const load::ScenarioProgress sp = i < p.scenarios.size() ? p.scenarios[i] : load::ScenarioProgress{};
    out += scenario_line(sp, scenarios[i], share_in(scenarios, shares, i), p.elapsed, p.stopping, p.done,
                         p.interrupted);
  }

  const double secs = static_cast<double>(p.elapsed) / 1e9;
  char extra[200];
  std::snprintf(extra, sizeof(extra), "inferload: %lld requests (%.0f/s), %lld failed%s\n",
                static_cast<long long>(p.requests), secs > 0 ? static_cast<double>(p.requests) / secs : 0.0,
                static_cast<long long>(p.failed),
                p.dropped > 0 ? (", " + std::to_string(p.dropped) + " iterations dropped").c_str() : "");
  out += extra;
  return out;
}

std::string render_progress_tty(const load::Progress& p, const std::vector<load::ScenarioConfig>& scenarios,
                                const LiveFigures& live, int columns, const std::vector<load::ScenarioShare>& shares) {
  runtime::Nanos plan = 0;
  std::size_t name_width = 0;
  for (const auto& sc : scenarios) {
    plan = std::max(plan, sc.start_time + sc.regular_duration() + sc.graceful_stop);
    name_width = std::max(name_width, sc.name.size());
  }
  const int vu_width = digits(p.vus_max);
  std::string out = "running (" + format_progress_time(p.elapsed, plan) + "), " + padded(p.active_vus, vu_width) + "/" +
                    padded(p.vus_max, vu_width) + " VUs, " + std::to_string(p.iterations) + " complete and " +
                    std::to_string(p.interrupted) + " interrupted iterations\n";
  // k6's 40-character bar, narrower when the terminal leaves less room beside the name and columns.
  const int bar = std::clamp(columns - static_cast<int>(name_width) - 45, 0, 40);
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const load::ScenarioProgress sp = i < p.scenarios.size() ? p.scenarios[i] : load::ScenarioProgress{};
    load::ScenarioConfig named = scenarios[i];
    named.name.resize(name_width, ' ');
    out += scenario_line(sp, named, share_in(scenarios, shares, i), p.elapsed, p.stopping, p.done, p.interrupted,
                         bar);
  }
  char extra[200];
  char p95[32] = "-";
  if (live.p95_ms >= 0) std::snprintf(p95, sizeof(p95), "%.3gms", live.p95_ms);
  std::snprintf(extra, sizeof(extra), "inferload: %lld requests, %.0f/s, p95 %s, %lld failed%s\n",
                static_cast<long long>(p.requests), live.requests_per_second, p95, static_cast<long long>(p.failed),
                p.dropped > 0 ? (", " + std::to_string(p.dropped) + " iterations dropped").c_str() : "");
  out += extra;
  return out;
}

}  // namespace inferload::output
