#pragma once
// k6's CSV and JSON-lines outputs (k6-semantics.md 6.4 and 6.5), as SampleSinks.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "inferload/output/sample_file.hpp"
#include "inferload/output/sample_rows.hpp"

namespace inferload::output {

enum class CsvTimeFormat : std::uint8_t { unix, unix_milli, unix_micro, unix_nano, rfc3339, rfc3339_nano };
// "unix", ..., "rfc3339_nano"; false for anything else.
bool parse_csv_time_format(std::string_view text, CsvTimeFormat& out) noexcept;

// Unix ns as Go's RFC 3339 in the process's local zone ("Z" for UTC): with `nanos`, fractional
// seconds with trailing zeros trimmed (time.RFC3339Nano), else whole seconds.
std::string rfc3339(Nanos unix_ns, bool nanos);
// A float64 as Go's strconv.FormatFloat(v, 'g', -1, 64) writes it, which k6's JSON output uses:
// shortest round-trip digits, in exponent form below 1e-4 and from 1e6.
std::string go_float(double v);

struct CsvOptions {
  std::string file;
  Nanos save_interval = 1'000'000'000;
  CsvTimeFormat time_format = CsvTimeFormat::unix;
  // inferload's aggregate=D: a row per metric and tag set each interval D instead of a row per
  // sample (0: off, k6's format).
  Nanos aggregate = 0;
};

std::unique_ptr<SampleSink> make_csv_output(const CsvOptions& options);
// The aggregate form: metric_name, timestamp (the interval's start, Unix seconds), interval_s,
// count, sum, min, max, avg, med, p(90), p(95), p(99) (trends only, microsecond resolution),
// k6's tag columns and extra_tags.
std::unique_ptr<SampleSink> make_csv_aggregate_output(const CsvOptions& options);

// The thresholds declared on each metric name, as the JSON output's Metric lines list them:
// "http_req_duration" -> its expressions, each already JSON (a quoted string, or k6's object for
// an abortOnFail one), "http_req_duration{scenario:default}" -> a submetric.
using DeclaredThresholds = std::map<std::string, std::vector<std::string>>;

std::unique_ptr<SampleSink> make_json_output(const std::string& file, DeclaredThresholds thresholds);

}  // namespace inferload::output
