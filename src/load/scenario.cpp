#include "inferload/load/scenario.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "inferload/load/scenario_share.hpp"
#include "inferload/runtime/duration.hpp"

namespace inferload::load {
namespace {

using runtime::format_go_duration;
using runtime::kSecond;

// k6's minDuration for maxDuration and the constant executors' duration.
constexpr Nanos kMinDuration = kSecond;
// k6's cap on a stage target (lib/executor/helpers.go).
constexpr std::int64_t kMaxStageTarget = 100'000'000;

struct ExecutorName {
  ExecutorKind kind;
  const char* name;
};
constexpr ExecutorName kExecutorNames[] = {
    {ExecutorKind::shared_iterations, "shared-iterations"},
    {ExecutorKind::per_vu_iterations, "per-vu-iterations"},
    {ExecutorKind::constant_vus, "constant-vus"},
    {ExecutorKind::ramping_vus, "ramping-vus"},
    {ExecutorKind::constant_arrival_rate, "constant-arrival-rate"},
    {ExecutorKind::ramping_arrival_rate, "ramping-arrival-rate"},
};

[[noreturn]] void invalid(const std::string& why) { throw std::invalid_argument(why); }

bool is_scenario_name(const std::string& name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
  });
}

void validate_common(const ScenarioConfig& sc) {
  if (!is_scenario_name(sc.name)) {
    invalid("the scenario name \"" + sc.name +
            "\" should contain only numbers, latin letters, underscores, and dashes");
  }
  if (sc.start_time < 0) invalid("the startTime can't be negative");
  if (sc.graceful_stop < 0) invalid("the gracefulStop timeout can't be negative");
}

void validate_vus(const ScenarioConfig& sc) {
  if (sc.vus <= 0) invalid("the number of VUs must be more than 0");
}

void validate_at_least_min(const char* key, Nanos d) {
  if (d < kMinDuration) {
    invalid(std::string("the ") + key + " (" + format_go_duration(d) + ") must be at least " +
            format_go_duration(kMinDuration));
  }
}

void validate_stages(const std::vector<Stage>& stages) {
  if (stages.empty()) invalid("stages: at least one stage has to be specified");
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const std::string key = "stages[" + std::to_string(i) + "]";
    if (stages[i].duration < 0) invalid(key + ".duration can't be negative");
    if (stages[i].target < 0) invalid(key + ".target can't be negative");
    if (stages[i].target > kMaxStageTarget) {
      invalid(key + ".target (" + std::to_string(stages[i].target) + ") can't be more than " +
              std::to_string(kMaxStageTarget));
    }
  }
}

void validate_arrival_rate_vus(const ScenarioConfig& sc) {
  if (sc.time_unit <= 0) invalid("timeUnit must be more than 0");
  if (sc.pre_allocated_vus < 0) invalid("preAllocatedVUs can't be negative");
  if (sc.resolved_max_vus() < sc.pre_allocated_vus) {
    invalid("maxVUs (" + std::to_string(sc.max_vus) + ") can't be less than preAllocatedVUs (" +
            std::to_string(sc.pre_allocated_vus) + ")");
  }
}

std::int64_t max_stage_target(std::int64_t start, const std::vector<Stage>& stages) {
  std::int64_t m = start;
  for (const Stage& s : stages) m = std::max(m, s.target);
  return m;
}

Nanos stages_duration(const std::vector<Stage>& stages) {
  Nanos total = 0;
  for (const Stage& s : stages) {
    // Saturates: an absurd plan must not wrap into a short one.
    total = s.duration > runtime::kNever - total ? runtime::kNever : total + std::max<Nanos>(s.duration, 0);
  }
  return total;
}

// k6's getBaseInfo: executor facts first, then startTime and gracefulStop when they are set.
std::string base_info(const ScenarioConfig& sc, std::string facts) {
  auto add = [&facts](const std::string& fact) { facts += (facts.empty() ? "" : ", ") + fact; };
  if (sc.start_time > 0) add("startTime: " + format_go_duration(sc.start_time));
  if (sc.graceful_stop > 0) add("gracefulStop: " + format_go_duration(sc.graceful_stop));
  return facts.empty() ? "" : " (" + facts + ")";
}

// `share`: the part of the rate a segment of the test runs.
std::string iterations_per_second(std::int64_t rate, Nanos time_unit, double share) {
  const double per_second =
      static_cast<double>(rate) * share * static_cast<double>(kSecond) / static_cast<double>(time_unit);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", per_second);
  return buf;
}

std::string max_vus_range(const ScenarioShare& s) {
  std::string range = "maxVUs: " + std::to_string(s.pre_allocated_vus);
  if (s.max_vus > s.pre_allocated_vus) {
    range += '-';
    range += std::to_string(s.max_vus);
  }
  return range;
}

}  // namespace

const char* to_string(ExecutorKind k) noexcept {
  for (const ExecutorName& e : kExecutorNames) {
    if (e.kind == k) return e.name;
  }
  return "unknown";
}

bool executor_from_string(const std::string& name, ExecutorKind& out) noexcept {
  for (const ExecutorName& e : kExecutorNames) {
    if (name == e.name) {
      out = e.kind;
      return true;
    }
  }
  return false;
}

void ScenarioConfig::validate() const {
  validate_common(*this);
  switch (executor) {
    case ExecutorKind::shared_iterations:
      validate_vus(*this);
      if (iterations < static_cast<std::uint64_t>(vus)) {
        invalid("the number of iterations (" + std::to_string(iterations) +
                ") can't be less than the number of VUs (" + std::to_string(vus) + ")");
      }
      validate_at_least_min("maxDuration", duration);
      break;
    case ExecutorKind::per_vu_iterations:
      validate_vus(*this);
      if (iterations == 0) invalid("the number of iterations must be more than 0");
      validate_at_least_min("maxDuration", duration);
      break;
    case ExecutorKind::constant_vus:
      validate_vus(*this);
      validate_at_least_min("duration", duration);
      break;
    case ExecutorKind::ramping_vus:
      if (start_vus < 0) invalid("startVUs can't be negative");
      validate_stages(stages);
      if (max_stage_target(start_vus, stages) <= 0) {
        invalid("either startVUs or one of the stages' target values must be greater than 0");
      }
      break;
    case ExecutorKind::constant_arrival_rate:
      if (rate <= 0) invalid("rate must be more than 0");
      validate_at_least_min("duration", duration);
      validate_arrival_rate_vus(*this);
      break;
    case ExecutorKind::ramping_arrival_rate:
      if (rate < 0) invalid("startRate can't be negative");
      validate_stages(stages);
      validate_arrival_rate_vus(*this);
      break;
  }
}

std::string ScenarioConfig::describe(const SegmentShare& segment) const {
  using std::to_string;
  const ScenarioShare s = share_of(*this, segment);
  switch (executor) {
    case ExecutorKind::shared_iterations:
      return to_string(s.iterations) + " iterations shared among " + to_string(s.vus) + " VUs" +
             base_info(*this, "maxDuration: " + format_go_duration(duration));
    case ExecutorKind::per_vu_iterations:
      return to_string(iterations) + " iterations for each of " + to_string(s.vus) + " VUs" +
             base_info(*this, "maxDuration: " + format_go_duration(duration));
    case ExecutorKind::constant_vus:
      return to_string(s.vus) + " looping VUs for " + format_go_duration(duration) + base_info(*this, "");
    case ExecutorKind::ramping_vus:
      return "Up to " + to_string(s.peak_vus) + " looping VUs for " + format_go_duration(regular_duration()) +
             " over " + to_string(stages.size()) + " stages" +
             base_info(*this, "gracefulRampDown: " + format_go_duration(graceful_ramp_down));
    case ExecutorKind::constant_arrival_rate:
      return iterations_per_second(rate, time_unit, s.rate_fraction) + " iterations/s for " +
             format_go_duration(duration) + base_info(*this, max_vus_range(s));
    case ExecutorKind::ramping_arrival_rate:
      return "Up to " + iterations_per_second(max_stage_target(rate, stages), time_unit, s.rate_fraction) +
             " iterations/s for " + format_go_duration(regular_duration()) + " over " + to_string(stages.size()) +
             " stages" + base_info(*this, max_vus_range(s));
  }
  return {};
}

Nanos ScenarioConfig::regular_duration() const noexcept {
  switch (executor) {
    case ExecutorKind::ramping_vus:
    case ExecutorKind::ramping_arrival_rate:
      return stages_duration(stages);
    default:
      return duration;
  }
}

int ScenarioConfig::peak_vus() const noexcept {
  switch (executor) {
    case ExecutorKind::ramping_vus:
      return static_cast<int>(std::min<std::int64_t>(max_stage_target(start_vus, stages), std::numeric_limits<int>::max()));
    case ExecutorKind::constant_arrival_rate:
    case ExecutorKind::ramping_arrival_rate:
      return resolved_max_vus();
    default:
      return vus;
  }
}

}  // namespace inferload::load
