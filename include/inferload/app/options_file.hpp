#pragma once
// A k6 JSON options file, as `k6 run --config FILE` reads it (k6-semantics.md 1.5, 2.1-2.2).
// Only what inferload uses is kept; options k6 knows but inferload ignores are accepted, and any
// other key is refused, so a typo never silently changes a test.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inferload/load/execution_segment.hpp"
#include "inferload/load/scenario.hpp"
#include "inferload/runtime/clock.hpp"
#include "inferload/scv2/scripts.hpp"

namespace inferload::app {

struct OptionsFile {
  // The shortcuts (1.4); the caller derives the `default` scenario from them.
  std::optional<int> vus;
  std::optional<std::uint64_t> iterations;
  std::optional<runtime::Nanos> duration;
  std::optional<std::vector<load::Stage>> stages;
  // In the file's order, with k6's defaults filled in, each one validated.
  std::optional<std::vector<load::ScenarioConfig>> scenarios;
  // Metric as written (it may carry a {tag:value} selector) and its expressions, in file order.
  std::vector<scv2::ThresholdDecl> thresholds;  // abortOnFail and delayAbortEval included
  std::optional<std::vector<std::string>> summary_trend_stats;  // "summaryTrendStats", unchecked
  std::optional<load::ExecutionSegment> execution_segment;             // "executionSegment"
  std::optional<std::vector<load::Fraction>> execution_segment_sequence;  // "executionSegmentSequence"
  std::optional<bool> insecure_skip_tls_verify;             // "insecureSkipTLSVerify"
  // "tlsVersion": a string sets both, {"min": ..., "max": ...} either; names unchecked here.
  std::optional<std::string> tls_version_min, tls_version_max;
  std::optional<std::vector<std::string>> tls_cipher_suites;  // "tlsCipherSuites", unchecked
};

// Throws std::invalid_argument with one line naming `file_name` and the key at fault, e.g.
// "x.json: scenarios.fast.rate: must be more than 0" or "x.json: line 3: syntax error".
OptionsFile parse_options_file(std::string_view json_text, const std::string& file_name);
// Reads and parses the file at `path`; errors name the path.
OptionsFile load_options_file(const std::string& path);

}  // namespace inferload::app
