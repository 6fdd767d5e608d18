#include "inferload/app/merge_command.hpp"

#include <cstdio>
#include <optional>
#include <sstream>

#include "inferload/app/crossed_thresholds.hpp"
#include "inferload/app/export_reader.hpp"
#include "inferload/app/output_file.hpp"
#include "inferload/output/report_merge.hpp"
#include "inferload/output/summary_export.hpp"
#include "inferload/output/text_summary.hpp"
#include "inferload/output/trend_stats.hpp"

namespace inferload::app {
namespace {

[[noreturn]] void flag_error(const std::string& flag, const std::string& msg) {
  throw ExitError(kExitOtherError, flag + ": " + msg);
}

void put(std::FILE* stream, const std::string& text, const char* what) {
  if (std::fwrite(text.data(), 1, text.size(), stream) != text.size() || std::fflush(stream) != 0) {
    throw ExitError(kExitOtherError, std::string("cannot write the ") + what);
  }
}

}  // namespace

int merge_command(const MergeArgs& a) {
  // Flags first: a mistyped one must not wait for the files to be read.
  std::optional<std::vector<std::string>> chosen_stats;
  if (a.summary_trend_stats) {
    try {
      std::vector<std::string> keys;
      for (const auto& s : output::parse_trend_stats(*a.summary_trend_stats)) keys.push_back(s.key);
      chosen_stats = std::move(keys);
    } catch (const std::invalid_argument& e) {
      flag_error("--summary-trend-stats", e.what());
    }
  }
  output::TextSummaryOptions text_options;
  if (a.summary_time_unit) {
    if (*a.summary_time_unit != "s" && *a.summary_time_unit != "ms" && *a.summary_time_unit != "us") {
      flag_error("--summary-time-unit", "\"" + *a.summary_time_unit + "\" is not one of s, ms, us");
    }
    text_options.time_unit = *a.summary_time_unit;
  }
  std::optional<OutputFile> export_file;
  if (a.summary_export) export_file.emplace("--summary-export", *a.summary_export);

  std::vector<output::MergeInput> inputs;
  std::vector<std::string> export_stats;
  for (const std::string& file : a.files) {
    ImportedExport imported = read_summary_export(file);
    if (inputs.empty()) export_stats = std::move(imported.trend_stats);
    inputs.push_back({file, std::move(imported.report)});
  }
  output::RunReport merged;
  try {
    merged = output::merge_reports(inputs);
  } catch (const std::invalid_argument& e) {
    throw ExitError(kExitInvalidConfig, e.what());
  }

  // As a run chooses them: a given list is the summary's and the export's; by default the
  // summary shows k6's stats and the export adds the tail.
  if (chosen_stats) export_stats = *chosen_stats;
  text_options.trend_stats =
      export_stats == output::default_export_trend_stats() ? output::default_trend_stats() : export_stats;
  std::ostringstream json;
  try {
    output::write_summary_export(json, merged, export_stats);
  } catch (const std::invalid_argument& e) {
    throw ExitError(kExitInvalidConfig, a.files.front() + ": inferload.trend_stats: " + e.what());
  }

  if (!a.no_summary) {
    put(export_file ? stdout : stderr, output::render_text_summary(merged, text_options), "text summary");
  }
  if (export_file) export_file->write(json.view());
  else put(stdout, json.str() + "\n", "merged export to stdout");
  return report_crossed_thresholds(merged) ? kExitThresholdsFailed : kExitOk;
}

}  // namespace inferload::app
