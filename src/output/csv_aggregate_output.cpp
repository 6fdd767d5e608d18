// --out csv=...,aggregate=D: instead of a row per sample, a row per metric and tag set each
// interval D, with the interval's count, sum and distribution. For long high-rate runs, where a
// row per sample would be gigabytes: the file grows with the run's intervals and tag sets, not
// its requests.
#include <charconv>
#include <map>
#include <memory>

#include "csv_fields.hpp"
#include "inferload/metrics/histogram.hpp"
#include "inferload/output/sample_outputs.hpp"

namespace inferload::output {
namespace {

void append_number(std::string& out, double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 6);
  out.append(buf, r.ptr);
}

class CsvAggregateOutput final : public SampleSink {
 public:
  explicit CsvAggregateOutput(const CsvOptions& o) : o_(o), file_(o.file) {
    std::string header = "metric_name,timestamp,interval_s,count,sum,min,max,avg,med,p(90),p(95),p(99)";
    for (std::string_view c : csv::kColumns) header.append(",").append(c);
    header += ",extra_tags\n";
    file_.write(header);
    file_.flush();
  }

  void write(const SampleRow& row) override {
    if (interval_start_ == 0) interval_start_ = row.time - row.time % o_.aggregate;
    if (row.tag_set != tag_set_ || tag_cells_.empty()) render_tags(row);
    Cell& c = cells_[{row.metric->name, tag_cells_}];
    c.metric = row.metric;
    ++c.count;
    c.sum += row.value;
    if (row.metric->type == MetricType::trend) {
      if (!c.values) c.values = std::make_unique<metrics::Histogram>();
      // Rows carry milliseconds for time: microsecond resolution is kept.
      c.values->record(static_cast<std::int64_t>(row.value * 1000.0 + 0.5));
    }
    c.min = c.count == 1 ? row.value : std::min(c.min, row.value);
    c.max = c.count == 1 ? row.value : std::max(c.max, row.value);
  }

  void tick(Nanos now) override {
    if (interval_start_ != 0 && now >= interval_start_ + o_.aggregate) {
      write_interval(now);
      file_.flush();
    }
  }

  std::string close() override {
    if (!cells_.empty()) write_interval(0);
    return file_.close();
  }

 private:
  struct Cell {
    const MetricInfo* metric = nullptr;
    std::uint64_t count = 0;
    double sum = 0, min = 0, max = 0;
    std::unique_ptr<metrics::Histogram> values;
  };

  void render_tags(const SampleRow& row) {
    tag_set_ = row.tag_set;
    tag_cells_.clear();
    csv::append_tag_cells(tag_cells_, row);
  }

  // One row per metric and tag set of the interval that began at interval_start_; `now` 0: the
  // last, partial interval.
  void write_interval(Nanos now) {
    const double seconds = static_cast<double>(o_.aggregate) / 1e9;
    std::string line;
    for (auto& [key, c] : cells_) {
      line.clear();
      csv::append_field(line, key.first);
      line += ',' + std::to_string(interval_start_ / 1'000'000'000) + ',';
      append_number(line, seconds);
      line += ',' + std::to_string(c.count) + ',';
      append_number(line, c.sum);
      line += ',';
      append_number(line, c.min);
      line += ',';
      append_number(line, c.max);
      line += ',';
      append_number(line, c.sum / static_cast<double>(c.count));
      for (double p : {50.0, 90.0, 95.0, 99.0}) {
        line += ',';
        if (c.values) append_number(line, c.values->percentile(p) / 1000.0);
      }
      line += key.second;
      line += '\n';
      file_.write(line);
    }
    cells_.clear();
    if (now != 0) {
      // Intervals with no sample at all are skipped, not written as zeros.
      while (interval_start_ + o_.aggregate <= now) interval_start_ += o_.aggregate;
    }
  }

  CsvOptions o_;
  SampleFile file_;
  std::map<std::pair<std::string_view, std::string>, Cell> cells_;
  Nanos interval_start_ = 0;
  std::uint64_t tag_set_ = 0;
  std::string tag_cells_;
};

}  // namespace

std::unique_ptr<SampleSink> make_csv_aggregate_output(const CsvOptions& options) {
  return std::make_unique<CsvAggregateOutput>(options);
}

}  // namespace inferload::output
