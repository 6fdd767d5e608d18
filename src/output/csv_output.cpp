#include <charconv>
#include <string_view>

#include "inferload/output/sample_outputs.hpp"

namespace inferload::output {
namespace {

// k6 1.x's columns: the enabled indexable system tags, sorted, between the value and extra_tags.
constexpr std::string_view kColumns[] = {"check", "error",   "error_code", "expected_response", "group",
                                         "method", "name",    "proto",      "scenario",          "service",
                                         "status", "subproto", "tls_version", "url"};
constexpr std::size_t kColumnCount = std::size(kColumns);

int column_of(std::string_view tag) noexcept {
  for (std::size_t i = 0; i < kColumnCount; ++i) {
    if (kColumns[i] == tag) return static_cast<int>(i);
  }
  return -1;
}

// Go's encoding/csv: quoted when the field holds a comma, a quote, CR or LF, or starts with a space.
void append_field(std::string& out, std::string_view f) {
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

class CsvOutput final : public SampleSink {
 public:
  explicit CsvOutput(const CsvOptions& o) : o_(o), file_(o.file) {
    line_ = "metric_name,timestamp,metric_value";
    for (std::string_view c : kColumns) {
      line_ += ',';
      line_ += c;
    }
    line_ += ",extra_tags,metadata\n";
    file_.write(line_);
    file_.flush();
  }

  void write(const SampleRow& row) override {
    line_.clear();
    append_field(line_, row.metric->name);
    line_ += ',';
    append_time(row.time);
    line_ += ',';
    char num[64];
    const auto r = std::to_chars(num, num + sizeof num, row.value, std::chars_format::fixed, 6);
    line_.append(num, r.ptr);
    if (row.tag_set != tag_set_ || tag_cells_.empty()) render_tags(row);
    line_ += tag_cells_;
    file_.write(line_);
  }

  void tick(Nanos now) override {
    if (now - last_save_ < o_.save_interval) return;
    last_save_ = now;
    file_.flush();
  }

  std::string close() override { return file_.close(); }

 private:
  // Everything after the value: the same for all the rows of one tag set.
  void render_tags(const SampleRow& row) {
    tag_set_ = row.tag_set;
    tag_cells_.clear();
    std::string_view cells[kColumnCount] = {};
    extra_.clear();
    for (std::size_t i = 0; i < row.tag_count; ++i) {
      const Tag& t = row.tags[i];
      const int c = column_of(t.name);
      if (c >= 0) {
        cells[c] = t.value;
        continue;
      }
      if (!extra_.empty()) extra_ += '&';
      extra_.append(t.name).append("=").append(t.value);
    }
    for (std::string_view cell : cells) {
      tag_cells_ += ',';
      append_field(tag_cells_, cell);
    }
    tag_cells_ += ',';
    append_field(tag_cells_, extra_);
    tag_cells_ += ",\n";  // metadata: vu and iter are not enabled by default in k6 1.x
  }

  void append_time(Nanos t) {
    char num[32];
    Nanos v = t;
    switch (o_.time_format) {
      case CsvTimeFormat::unix: v = t / 1'000'000'000; break;
      case CsvTimeFormat::unix_milli: v = t / 1'000'000; break;
      case CsvTimeFormat::unix_micro: v = t / 1'000; break;
      case CsvTimeFormat::unix_nano: break;
      case CsvTimeFormat::rfc3339: line_ += rfc3339(t, false); return;
      case CsvTimeFormat::rfc3339_nano: line_ += rfc3339(t, true); return;
    }
    const auto r = std::to_chars(num, num + sizeof num, v);
    line_.append(num, r.ptr);
  }

  CsvOptions o_;
  SampleFile file_;
  std::string line_, extra_, tag_cells_;
  std::uint64_t tag_set_ = 0;
  Nanos last_save_ = 0;
};

}  // namespace

bool parse_csv_time_format(std::string_view text, CsvTimeFormat& out) noexcept {
  static constexpr std::pair<std::string_view, CsvTimeFormat> kNames[] = {
      {"unix", CsvTimeFormat::unix},          {"unix_milli", CsvTimeFormat::unix_milli},
      {"unix_micro", CsvTimeFormat::unix_micro}, {"unix_nano", CsvTimeFormat::unix_nano},
      {"rfc3339", CsvTimeFormat::rfc3339},    {"rfc3339_nano", CsvTimeFormat::rfc3339_nano},
  };
  for (const auto& [name, f] : kNames) {
    if (name == text) {
      out = f;
      return true;
    }
  }
  return false;
}

std::unique_ptr<SampleSink> make_csv_output(const CsvOptions& options) { return std::make_unique<CsvOutput>(options); }

}  // namespace inferload::output
