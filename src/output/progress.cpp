#include "inferload/output/progress.hpp"

#include <cstdio>

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

std::string render_progress(const load::Progress& p, const load::ScenarioConfig& sc) {
  const runtime::Nanos plan = sc.duration + sc.graceful_stop;
  const int vu_width = digits(p.vus_max);
  std::string out = "running (" + format_progress_time(p.elapsed, plan) + "), " + padded(p.active_vus, vu_width) + "/" +
                    padded(p.vus_max, vu_width) + " VUs, " + std::to_string(p.iterations) + " complete and " +
                    std::to_string(p.interrupted) + " interrupted iterations\n";

  double fill;
  std::string status = " ";
  std::string cols = std::to_string(sc.vus) + " VUs  ";
  const std::string elapsed = format_progress_time(std::min(p.elapsed, sc.duration), sc.duration);
  if (sc.executor == load::ExecutorKind::shared_iterations) {
    fill = sc.iterations ? static_cast<double>(p.iterations) / static_cast<double>(sc.iterations) : 1.0;
    const int w = digits(static_cast<std::int64_t>(sc.iterations));
    cols += elapsed + "/" + runtime::format_go_duration(sc.duration) + "  " + padded(p.iterations, w) + "/" +
            std::to_string(sc.iterations) + " shared iters";
  } else {
    fill = sc.duration ? static_cast<double>(std::min(p.elapsed, sc.duration)) / static_cast<double>(sc.duration) : 1.0;
    cols += p.elapsed >= sc.duration ? runtime::format_go_duration(sc.duration)
                                     : elapsed + "/" + runtime::format_go_duration(sc.duration);
  }
  if (p.done) status = p.interrupted > 0 || fill < 1.0 ? "\xE2\x9C\x97" : "\xE2\x9C\x93";  // ✗ / ✓
  else if (p.stopping) status = "\xE2\x86\x93";                                            // ↓
  char bar[32];
  std::snprintf(bar, sizeof(bar), "[ %3.0f%% ]", std::min(fill, 1.0) * 100.0);
  out += sc.name + " " + status + " " + bar + " " + cols + "\n";

  const double secs = static_cast<double>(p.elapsed) / 1e9;
  char extra[160];
  std::snprintf(extra, sizeof(extra), "inferload: %lld requests (%.0f/s), %lld failed\n", static_cast<long long>(p.requests),
                secs > 0 ? static_cast<double>(p.requests) / secs : 0.0, static_cast<long long>(p.failed));
  out += extra;
  return out;
}

}  // namespace inferload::output
