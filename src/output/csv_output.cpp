#include <charconv>
#include <string_view>

#include "csv_fields.hpp"
#include "inferload/output/sample_outputs.hpp"

namespace inferload::output {
namespace {

class CsvOutput final : public SampleSink {
 public:
  explicit CsvOutput(const CsvOptions& o) : o_(o), file_(o.file) {
    line_ = "metric_name,timestamp,metric_value";
    for (std::string_view c : csv::kColumns) {
      line_ += ',';
      line_ += c;
    }
    line_ += ",extra_tags,metadata\n";
    file_.write(line_);
    file_.flush();
  }

  void write(const SampleRow& row) override {
    line_.clear();
    csv::append_field(line_, row.metric->name);
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
    csv::append_tag_cells(tag_cells_, row);
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
  std::string line_, tag_cells_;
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
