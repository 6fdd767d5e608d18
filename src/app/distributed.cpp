#include "inferload/app/distributed.hpp"

#include <stdexcept>
#include <vector>

#include "inferload/app/options.hpp"
#include "inferload/app/rfc3339.hpp"

namespace inferload::app {
namespace {

using load::ExecutionSegment;
using load::Fraction;

template <class T>
struct Given {
  T value;
  std::string source;
};

// The sequence's points from 0 to 1, as SegmentShare fills them.
std::vector<Fraction> filled(std::vector<Fraction> points) {
  if (!(points.front() == Fraction{0, 1})) points.insert(points.begin(), Fraction{0, 1});
  if (!(points.back() == Fraction{1, 1})) points.push_back(Fraction{1, 1});
  return points;
}

std::optional<Given<std::string>> flag_or_env(const std::optional<std::string>& flag, const char* flag_name,
                                              const scv2::EnvLookup& env, const char* variable) {
  if (flag) return Given<std::string>{*flag, flag_name};
  if (auto v = env(variable); v && !v->empty()) return Given<std::string>{*v, variable};
  return std::nullopt;
}

}  // namespace

std::string DistributedPlan::ready_key() const {
  std::string key = "sequence " + load::sequence_to_string(segment.sequence());
  if (start_at) key += " start-at " + std::to_string(*start_at);
  return key;
}

DistributedPlan plan_distributed(const RunArgs& a, const scv2::EnvLookup& env, const std::optional<OptionsFile>& file) {
  const std::string file_key = a.config ? "--config " + *a.config + ": " : std::string();
  std::optional<Given<ExecutionSegment>> segment;
  if (a.execution_segment) {
    try {
      segment = {load::parse_execution_segment(*a.execution_segment), "--execution-segment"};
    } catch (const std::invalid_argument& e) {
      throw ExitError(kExitOtherError, std::string("--execution-segment: ") + e.what());
    }
  } else if (file && file->execution_segment) {
    segment = {*file->execution_segment, file_key + "executionSegment"};
  }
  std::optional<Given<std::vector<Fraction>>> sequence;
  if (a.execution_segment_sequence) {
    try {
      sequence = {load::parse_execution_segment_sequence(*a.execution_segment_sequence), "--execution-segment-sequence"};
    } catch (const std::invalid_argument& e) {
      throw ExitError(kExitOtherError, std::string("--execution-segment-sequence: ") + e.what());
    }
    // An empty value is k6's "no sequence".
    if (sequence->value.empty()) sequence.reset();
  } else if (file && file->execution_segment_sequence && !file->execution_segment_sequence->empty()) {
    sequence = {*file->execution_segment_sequence, file_key + "executionSegmentSequence"};
  }

  DistributedPlan plan;
  if (const auto p = flag_or_env(a.parallelism, "--parallelism", env, "INFERLOAD_PARALLELISM")) {
    const auto n = static_cast<std::int64_t>(
        parse_count(p->source, p->value, 1, static_cast<std::uint64_t>(load::SegmentShare::kMaxDenominator)));
    const std::string with = p->source + " " + std::to_string(n);
    const auto index_text = env("JOB_COMPLETION_INDEX");
    if (!index_text || index_text->empty()) {
      throw ExitError(kExitInvalidConfig, with + ": JOB_COMPLETION_INDEX is not set (Kubernetes sets it in every pod of "
                                                 "an Indexed Job)");
    }
    const auto i = static_cast<std::int64_t>(parse_count("JOB_COMPLETION_INDEX", *index_text, 0, static_cast<std::uint64_t>(n - 1)));
    std::vector<Fraction> points;
    for (std::int64_t k = 0; k <= n; ++k) points.push_back(load::fraction(k, n));
    const ExecutionSegment derived{points[static_cast<std::size_t>(i)], points[static_cast<std::size_t>(i + 1)]};
    const std::string origin = "JOB_COMPLETION_INDEX=" + std::to_string(i) + " of " + with;
    if (segment && !(segment->value == derived)) {
      throw ExitError(kExitInvalidConfig, segment->source + " " + load::to_string(segment->value) + " contradicts " +
                                              origin + ", which is segment " + load::to_string(derived));
    }
    if (sequence && filled(sequence->value) != points) {
      throw ExitError(kExitInvalidConfig, sequence->source + " " + load::sequence_to_string(sequence->value) +
                                              " contradicts " + origin + ", which is the sequence " +
                                              load::sequence_to_string(points));
    }
    segment = {derived, origin};
    sequence = {points, origin};
    plan.origin = origin;
  }
  if (segment || sequence) {
    const ExecutionSegment s = segment ? segment->value : ExecutionSegment{};
    try {
      plan.segment = load::SegmentShare::of(s, sequence ? sequence->value : std::vector<Fraction>{});
    } catch (const std::invalid_argument& e) {
      throw ExitError(kExitInvalidConfig, (segment ? segment->source : sequence->source) + ": " + e.what());
    }
    if (plan.origin.empty()) plan.origin = segment ? segment->source : sequence->source;
  }

  if (const auto r = flag_or_env(a.ready_file, "--ready-file", env, "INFERLOAD_READY_FILE")) {
    if (r->value.empty()) throw ExitError(kExitOtherError, r->source + ": the path is empty");
    plan.ready_file = r->value;
    plan.ready_source = r->source;
  }
  if (const auto s = flag_or_env(a.start_at, "--start-at", env, "INFERLOAD_START_AT")) {
    plan.start_at = parse_rfc3339(s->source, s->value);
    plan.start_at_source = s->source;
  }
  return plan;
}

}  // namespace inferload::app
