#pragma once
// Where k6's compact text summary lists a metric (category block or nowhere) and in which order.
#include <cstdint>
#include <string_view>

namespace inferload::output {

// Declared in display order: CUSTOM comes first, then k6's own categories.
enum class SummaryCategory : std::uint8_t {
  custom,
  http,
  execution,
  network,
  browser,
  web_vitals,
  grpc,
  kafka,  // inferload's own (k6 has no Kafka client), next to the other protocols
  websocket,
  hidden,  // checks, group_duration and (compact mode) the six HTTP timing breakdown metrics
};

// By name prefix as k6 does, so submetrics follow their parent, and so does any metric whose
// name merely starts like a built-in one ("vus_custom" lands in EXECUTION).
SummaryCategory summary_category(std::string_view metric_name);

// "CUSTOM", "HTTP", ...; empty for hidden.
std::string_view summary_category_title(SummaryCategory category);

// k6's order: parent names compared first, then the {tags} parts, so a submetric sorts right
// after its parent. Comparisons follow the Unicode collation goja's localeCompare uses, for ASCII:
// punctuation < digits < letters, letters case-insensitive with lowercase first on a tie.
bool metric_name_less(std::string_view a, std::string_view b);

}  // namespace inferload::output
