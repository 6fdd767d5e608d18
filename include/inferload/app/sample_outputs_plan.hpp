#pragma once
// Which of k6's outputs a run writes (k6-semantics.md 1.7, 6.4, 6.5): `--out TYPE[=ARG]`
// (repeatable), else K6_OUT (comma-separated), with the CSV's K6_CSV_* variables and
// --csv-time-format. csv, json, influxdb and prometheus are written; the other known types are
// skipped with one warning, as before; an unknown type is k6's error.
#include <optional>
#include <string>
#include <vector>

#include "inferload/output/influxdb_output.hpp"
#include "inferload/output/sample_outputs.hpp"
#include "inferload/scv2/settings.hpp"

namespace inferload::app {

struct SampleOutputsPlan {
  std::optional<output::CsvOptions> csv;
  std::optional<std::string> json;  // the file; "-" is stdout
  std::vector<output::InfluxOptions> influxdb;  // one per --out influxdb, as k6 allows
  std::vector<std::string> skipped;  // TYPE[=ARG] of outputs known to k6 but not written
  // --out prometheus=ADDR (app/prometheus_plan.hpp adds --prometheus): the address, and what gave it.
  std::optional<std::string> prometheus;
  std::string prometheus_source;
  // The written outputs' types in the order given ("csv", "json", "influxdb", "prometheus"), the
  // order k6's header lists them in.
  std::vector<std::string> order;
  bool any() const noexcept { return csv || json || prometheus || !influxdb.empty(); }
};

// Throws ExitError naming the flag or variable at fault.
SampleOutputsPlan plan_sample_outputs(const std::vector<std::string>& out_flags, const scv2::EnvLookup& env,
                                      const std::optional<std::string>& csv_time_format_flag);

}  // namespace inferload::app
