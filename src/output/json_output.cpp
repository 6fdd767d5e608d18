#include <time.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>

#include "inferload/output/json_writer.hpp"
#include "inferload/output/sample_outputs.hpp"
#include "inferload/output/threshold.hpp"

namespace inferload::output {
namespace {

const char* type_name(MetricType t) noexcept {
  switch (t) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::rate: return "rate";
    case MetricType::trend: return "trend";
  }
  return "counter";
}

const char* contains_name(MetricContains c) noexcept {
  switch (c) {
    case MetricContains::plain: return "default";
    case MetricContains::time: return "time";
    case MetricContains::data: return "data";
  }
  return "default";
}

// Go's encoding/json with HTML escaping, as k6's easyjson output writes names and tag values.
void append_html_safe(std::string& out, std::string_view s) {
  const std::string quoted = json_quote(s);
  for (char c : quoted) {
    if (c == '&') out += "\\u0026";
    else if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else out += c;
  }
}

class JsonOutput final : public SampleSink {
 public:
  JsonOutput(const std::string& file, DeclaredThresholds thresholds) : file_(file), thresholds_(std::move(thresholds)) {}

  void write(const SampleRow& row) override {
    line_.clear();
    if (described_.insert(row.metric->name).second) describe(*row.metric);
    line_ += "{\"metric\":";
    append_html_safe(line_, row.metric->name);
    line_ += ",\"type\":\"Point\",\"data\":{\"time\":\"";
    append_time(row.time);
    line_ += "\",\"value\":";
    line_ += go_float(row.value);
    if (row.tag_set != tag_set_ || tags_json_.empty()) {
      tag_set_ = row.tag_set;
      tags_json_ = ",\"tags\":{";
      for (std::size_t i = 0; i < row.tag_count; ++i) {
        if (i > 0) tags_json_ += ',';
        append_html_safe(tags_json_, row.tags[i].name);
        tags_json_ += ':';
        append_html_safe(tags_json_, row.tags[i].value);
      }
      tags_json_ += "}}}\n";
    }
    line_ += tags_json_;
    file_.write(line_);
  }

  // k6 writes its buffer every 200 ms.
  void tick(Nanos now) override {
    if (now - last_save_ < 200'000'000) return;
    last_save_ = now;
    file_.flush();
  }

  std::string close() override { return file_.close(); }

 private:
  // The Metric line k6 writes before a metric's first Point.
  void describe(const MetricInfo& m) {
    line_ += "{\"type\":\"Metric\",\"data\":{\"name\":";
    append_html_safe(line_, m.name);
    line_ += ",\"type\":\"";
    line_ += type_name(m.type);
    line_ += "\",\"contains\":\"";
    line_ += contains_name(m.contains);
    line_ += "\",\"thresholds\":[";
    if (auto it = thresholds_.find(std::string(m.name)); it != thresholds_.end()) {
      for (std::size_t i = 0; i < it->second.size(); ++i) {
        if (i > 0) line_ += ',';
        line_ += it->second[i];
      }
    }
    line_ += "],\"submetrics\":";
    // Submetrics: those thresholds declare, and expected_response:true, which k6 always makes
    // for http_req_duration.
    std::vector<std::string> selectors;
    if (m.name == "http_req_duration") selectors.push_back("expected_response:true");
    const std::string prefix = std::string(m.name) + "{";
    for (auto it = thresholds_.lower_bound(prefix); it != thresholds_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
      const std::string sel = it->first.substr(prefix.size(), it->first.size() - prefix.size() - 1);
      if (std::find(selectors.begin(), selectors.end(), sel) == selectors.end()) selectors.push_back(sel);
    }
    if (selectors.empty()) {
      line_ += "null";
    } else {
      line_ += '[';
      for (std::size_t i = 0; i < selectors.size(); ++i) {
        if (i > 0) line_ += ',';
        line_ += "{\"name\":";
        append_html_safe(line_, prefix + selectors[i] + "}");
        line_ += ",\"suffix\":";
        append_html_safe(line_, selectors[i]);
        line_ += ",\"tags\":{";
        const auto pairs = selector_pairs("{" + selectors[i] + "}");
        for (std::size_t k = 0; pairs && k < pairs->size(); ++k) {
          if (k > 0) line_ += ',';
          append_html_safe(line_, (*pairs)[k].first);
          line_ += ':';
          append_html_safe(line_, (*pairs)[k].second);
        }
        line_ += "}}";
      }
      line_ += ']';
    }
    line_ += "},\"metric\":";
    append_html_safe(line_, m.name);
    line_ += "}\n";
  }

  // RFC 3339 with nanoseconds, the calendar part rendered once per second.
  void append_time(Nanos t) {
    const Nanos sec = t >= 0 ? t / 1'000'000'000 : (t - 999'999'999) / 1'000'000'000;
    if (sec != time_second_ || time_prefix_.empty()) {
      time_second_ = sec;
      const std::string whole = rfc3339(sec * 1'000'000'000, false);
      const std::size_t zone = whole.find_first_of("Z+-", 19);
      time_prefix_ = whole.substr(0, zone);
      time_zone_ = whole.substr(zone);
    }
    line_ += time_prefix_;
    if (const Nanos frac = t - sec * 1'000'000'000; frac != 0) {
      char f[16];
      int n = std::snprintf(f, sizeof f, ".%09lld", static_cast<long long>(frac));
      while (f[n - 1] == '0') --n;
      line_.append(f, static_cast<std::size_t>(n));
    }
    line_ += time_zone_;
  }

  SampleFile file_;
  DeclaredThresholds thresholds_;
  std::string tags_json_;
  std::uint64_t tag_set_ = 0;
  Nanos time_second_ = 0;
  std::string time_prefix_, time_zone_;
  std::set<std::string_view> described_;
  std::string line_;
  Nanos last_save_ = 0;
};

}  // namespace

std::string rfc3339(Nanos unix_ns, bool nanos) {
  Nanos sec = unix_ns / 1'000'000'000;
  Nanos frac = unix_ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --sec;
  }
  const time_t t = static_cast<time_t>(sec);
  tm local{};
  ::localtime_r(&t, &local);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &local);
  std::string out(buf, n);
  if (nanos && frac != 0) {
    char f[16];
    std::snprintf(f, sizeof f, ".%09lld", static_cast<long long>(frac));
    std::string fs(f);
    while (fs.back() == '0') fs.pop_back();
    out += fs;
  }
  const long off = local.tm_gmtoff;
  if (off == 0) {
    out += 'Z';
  } else {
    const long a = off < 0 ? -off : off;
    std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", off < 0 ? '-' : '+', a / 3600, (a % 3600) / 60);
    out += buf;
  }
  return out;
}

std::string go_float(double v) {
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string_view s(buf, static_cast<std::size_t>(sci.ptr - buf));
  const std::size_t e = s.find('e');
  int exp = 0;
  std::from_chars(s.data() + e + 1 + (s[e + 1] == '+' ? 1 : 0), s.data() + s.size(), exp);
  // Go's 'g' with the shortest precision decides by precision 6: 1e+06, 123456.7, 0.0001, 1e-05.
  if (v != 0 && (exp < -4 || exp >= 6)) return std::string(s);
  auto fixed = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, fixed.ptr);
}

std::unique_ptr<SampleSink> make_json_output(const std::string& file, DeclaredThresholds thresholds) {
  return std::make_unique<JsonOutput>(file, std::move(thresholds));
}

}  // namespace inferload::output
