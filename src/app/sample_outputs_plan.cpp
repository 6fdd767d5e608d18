#include "inferload/app/sample_outputs_plan.hpp"

#include <algorithm>
#include <iterator>
#include <string_view>

#include "inferload/app/cli.hpp"
#include "inferload/app/influxdb_options.hpp"
#include "inferload/app/options.hpp"

namespace inferload::app {
namespace {

[[noreturn]] void fail(const std::string& source, const std::string& msg) {
  throw ExitError(kExitOtherError, source + ": " + msg);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (;;) {
    const auto at = s.find(sep, from);
    out.push_back(s.substr(from, at == std::string::npos ? std::string::npos : at - from));
    if (at == std::string::npos) break;
    from = at + 1;
  }
  return out;
}

output::CsvTimeFormat time_format(const std::string& source, const std::string& text) {
  output::CsvTimeFormat f;
  if (!output::parse_csv_time_format(text, f)) {
    fail(source, "unknown time format '" + text + "': use unix, unix_milli, unix_micro, unix_nano, rfc3339 or rfc3339_nano");
  }
  return f;
}

// k6's order, lowest first: defaults, K6_CSV_* variables, then the --out argument.
output::CsvOptions csv_options(const std::string& source, const std::optional<std::string>& arg,
                               const scv2::EnvLookup& env, const std::optional<std::string>& time_format_flag) {
  output::CsvOptions o;
  o.file = "file.csv";
  if (auto v = env("K6_CSV_FILENAME")) o.file = *v;
  if (auto v = env("K6_CSV_SAVE_INTERVAL")) {
    o.save_interval = parse_duration_option("K6_CSV_SAVE_INTERVAL", *v, runtime::DurationSyntax::extended);
  }
  if (auto v = env("K6_CSV_TIME_FORMAT")) o.time_format = time_format("K6_CSV_TIME_FORMAT", *v);
  if (arg && !arg->empty()) {
    // A bare file name, or fileName=...,saveInterval=...,timeFormat=...
    if (arg->find('=') == std::string::npos) {
      o.file = *arg;
    } else {
      for (const std::string& kv : split(*arg, ',')) {
        const auto eq = kv.find('=');
        const std::string key = kv.substr(0, eq);
        const std::string value = eq == std::string::npos ? std::string() : kv.substr(eq + 1);
        if (value.empty()) fail(source, "csv option '" + key + "' has no value");
        if (key == "fileName") o.file = value;
        else if (key == "saveInterval") o.save_interval = parse_duration_option(source, value, runtime::DurationSyntax::extended);
        else if (key == "timeFormat") o.time_format = time_format(source, value);
        else if (key == "aggregate") o.aggregate = parse_duration_option(source, value, runtime::DurationSyntax::extended);
        else fail(source, "unknown csv option '" + key + "': use fileName, saveInterval, timeFormat or aggregate");
      }
    }
  }
  if (time_format_flag) o.time_format = time_format("--csv-time-format", *time_format_flag);
  if (o.file.empty()) o.file.assign(1, '-');  // not = "-": GCC 12 warns falsely (-Wrestrict) on that
  if (o.save_interval <= 0) fail(source, "saveInterval must be above 0");
  if (o.aggregate < 0 || (arg && arg->find("aggregate=") != std::string::npos && o.aggregate == 0)) {
    fail(source, "aggregate must be a duration above 0, e.g. aggregate=1s");
  }
  return o;
}

}  // namespace

SampleOutputsPlan plan_sample_outputs(const std::vector<std::string>& out_flags, const scv2::EnvLookup& env,
                                      const std::optional<std::string>& csv_time_format_flag) {
  std::vector<std::pair<std::string, std::string>> outs;  // (source, TYPE[=ARG])
  for (const std::string& o : out_flags) outs.emplace_back("--out", o);
  if (out_flags.empty()) {
    if (auto v = env("K6_OUT"); v && !v->empty()) {
      for (const std::string& o : split(*v, ',')) outs.emplace_back("K6_OUT", o);
    }
  }
  static constexpr std::string_view kSkipped[] = {"experimental-prometheus-rw",
                                                  "experimental-opentelemetry", "cloud", "web-dashboard"};
  SampleOutputsPlan plan;
  for (const auto& [source, o] : outs) {
    const auto eq = o.find('=');
    const std::string type = o.substr(0, eq);
    const std::optional<std::string> arg = eq == std::string::npos ? std::nullopt : std::optional(o.substr(eq + 1));
    if (type == "csv") {
      if (plan.csv) fail(source, "csv is given twice: one CSV output per run");
      plan.csv = csv_options(source, arg, env, csv_time_format_flag);
      plan.order.push_back(type);
    } else if (type == "json") {
      if (plan.json) fail(source, "json is given twice: one JSON output per run");
      plan.json = arg && !arg->empty() ? *arg : std::string("-");
      plan.order.push_back(type);
    } else if (type == "prometheus") {
      if (plan.prometheus) fail(source, "prometheus is given twice: one endpoint per run");
      if (!arg || arg->empty()) fail(source, "prometheus needs the address to serve /metrics on: prometheus=HOST:PORT");
      plan.prometheus = *arg;
      plan.order.push_back(type);
      plan.prometheus_source = source + " prometheus";
    } else if (type == "influxdb") {
      plan.influxdb.push_back(influxdb_options(source, arg, env));
      plan.order.push_back(type);
    } else if (std::find(std::begin(kSkipped), std::end(kSkipped), type) != std::end(kSkipped)) {
      plan.skipped.push_back(o);
    } else {
      fail(source, "invalid output type '" + type + "', available types are: json, csv, prometheus, influxdb, experimental-prometheus-rw");
    }
  }
  if (csv_time_format_flag && !plan.csv) time_format("--csv-time-format", *csv_time_format_flag);
  if (plan.csv && plan.json && plan.csv->file == *plan.json && *plan.json != "-") {
    fail("--out", "csv and json both write " + *plan.json);
  }
  return plan;
}

}  // namespace inferload::app
