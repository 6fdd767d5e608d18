#pragma once
// What both CSV outputs (a row per sample, and per interval) write the same way: k6 1.x's tag
// columns and Go's encoding/csv quoting.
#include <cstddef>
#include <string>
#include <string_view>

#include "inferload/output/sample_rows.hpp"

namespace inferload::output::csv {

// The enabled indexable system tags, sorted, as k6 1.x puts them between the value and extra_tags.
inline constexpr std::string_view kColumns[] = {"check",  "error",    "error_code",  "expected_response", "group",
                                                "method", "name",     "proto",       "scenario",          "service",
                                                "status", "subproto", "tls_version", "url"};

// Quoted when the field holds a comma, a quote, CR or LF, or starts with a space or a tab.
inline void append_field(std::string& out, std::string_view f) {
  const bool quote = !f.empty() && (f.find_first_of(",\"\r\n") != std::string_view::npos || f.front() == ' ' ||
                                    f.front() == '\t');
  if (!quote) {
    out.append(f);
    return;
  }
  out.push_back('"');
  for (char c : f) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

// ",<column>..." for each of kColumns, then ",<extra_tags>": the tags of `row` in CSV cells.
inline void append_tag_cells(std::string& out, const SampleRow& row) {
  std::string_view cells[std::size(kColumns)] = {};
  std::string extra;
  for (std::size_t i = 0; i < row.tag_count; ++i) {
    const Tag& t = row.tags[i];
    std::size_t c = 0;
    while (c < std::size(kColumns) && kColumns[c] != t.name) ++c;
    if (c < std::size(kColumns)) {
      cells[c] = t.value;
      continue;
    }
    if (!extra.empty()) extra += '&';
    extra.append(t.name).append("=").append(t.value);
  }
  for (std::string_view cell : cells) {
    out += ',';
    append_field(out, cell);
  }
  out += ',';
  append_field(out, extra);
}

}  // namespace inferload::output::csv
