#include "inferload/output/line_protocol.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>

namespace inferload::output::line_protocol {
namespace {

void append_escaped(std::string& out, std::string_view s, std::string_view special) {
  std::size_t from = 0;
  for (;;) {
    const std::size_t at = s.find_first_of(special, from);
    if (at == std::string_view::npos) {
      out.append(s.substr(from));
      return;
    }
    out.append(s.substr(from, at - from));
    out.push_back('\\');
    out.push_back(s[at]);
    from = at + 1;
  }
}

// Go's number parsers take one leading sign, '+' included; std::from_chars only '-'.
bool strip_plus(std::string_view& s) noexcept {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    return !s.empty() && s.front() != '+' && s.front() != '-';
  }
  return !s.empty();
}

// Go's strconv.ParseInt(s, 10, 64): an optional sign, then decimal digits only.
bool parse_go_int(std::string_view s, std::int64_t& out) noexcept {
  if (!strip_plus(s)) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Go's strconv.ParseFloat(s, 64), for the decimal forms tags carry. A value Go would parse to
// NaN or an infinity counts as unparsed: InfluxDB refuses those, and k6 would lose the batch.
bool parse_go_float(std::string_view s, double& out) noexcept {
  if (!strip_plus(s)) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out, std::chars_format::general);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

// Go's strconv.ParseBool.
bool parse_go_bool(std::string_view s, bool& out) noexcept {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (s == t) return out = true, true;
  }
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (s == f) return out = false, true;
  }
  return false;
}

}  // namespace

void append_measurement(std::string& out, std::string_view name) { append_escaped(out, name, ", "); }

void append_tag_text(std::string& out, std::string_view key_or_value) { append_escaped(out, key_or_value, ", ="); }

void append_field_key(std::string& out, std::string_view key) { append_escaped(out, key, ",\" ="); }

void append_string_field(std::string& out, std::string_view value) {
  out.push_back('"');
  append_escaped(out, value, "\\\"");
  out.push_back('"');
}

void append_float(std::string& out, double value) {
  // The longest shortest-round-trip fixed form is a subnormal: "0." and 323 zeros before its digits.
  char buf[400];
  const auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
  out.append(buf, r.ptr);
}

std::int64_t precision_divisor(std::string_view precision) noexcept {
  if (precision.empty() || precision == "n" || precision == "ns") return 1;
  if (precision == "u") return 1'000;
  if (precision == "ms") return 1'000'000;
  if (precision == "s") return 1'000'000'000;
  if (precision == "m") return 60'000'000'000;
  if (precision == "h") return 3'600'000'000'000;
  return 0;
}

Formatter::Formatter(std::vector<std::pair<std::string, InfluxFieldKind>> tags_as_fields, std::int64_t divisor)
    : tags_as_fields_(std::move(tags_as_fields)), divisor_(divisor > 0 ? divisor : 1) {}

const InfluxFieldKind* Formatter::field_kind(std::string_view tag) const noexcept {
  for (const auto& [name, kind] : tags_as_fields_) {
    if (name == tag) return &kind;
  }
  return nullptr;
}

void Formatter::append_field(std::string& out, const Field& f) {
  append_field_key(out, f.key);
  out.push_back('=');
  // k6 converts the tag to its field's type, and keeps it a string when it does not parse.
  switch (f.kind) {
    case InfluxFieldKind::integer: {
      std::int64_t v = 0;
      if (!parse_go_int(f.text, v)) break;
      char buf[24];
      out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
      out.push_back('i');
      return;
    }
    case InfluxFieldKind::floating: {
      double v = 0;
      if (!parse_go_float(f.text, v)) break;
      append_float(out, v);
      return;
    }
    case InfluxFieldKind::boolean: {
      bool v = false;
      if (!parse_go_bool(f.text, v)) break;
      out.append(v ? "true" : "false");
      return;
    }
    case InfluxFieldKind::string: break;
  }
  append_string_field(out, f.text);
}

// InfluxDB keeps one point per series and timestamp: a second point with both the same replaces
// the first. k6 stamps each sample with its own clock read, but a worker here stamps every
// completion of one event-loop wake-up with the same time, so two requests to one model can
// share a nanosecond, and two workers can too. Such a point moves to the next nanosecond its
// series has not used in the last second (the rings are drained every 20 ms, so another
// worker's point is never older than that by much); every other point keeps its time.
Nanos Formatter::unique_time(std::uint64_t series, Nanos t) {
  constexpr Nanos kWindow = 1'000'000'000;
  // Bounded: 10^8 models would otherwise fill memory. A clear only forgets the last second.
  if (written_.size() >= (1u << 16)) written_.clear();
  Written& w = written_[series];
  while (w.times.count(t) != 0) ++t;
  w.times.insert(t);
  w.order.push_back(t);
  while (!w.order.empty() && w.order.front() < t - kWindow) {
    w.times.erase(w.order.front());
    w.order.pop_front();
  }
  return t;
}

// Everything of a point but its measurement, value and time depends only on its tags: the rows
// of one tag set (a request's dozen) share it, rendered once.
void Formatter::render_tags(const SampleRow& row) {
  rendered_set_ = row.tag_set;
  tags_text_.clear();
  fields_before_.clear();
  fields_after_.clear();
  const Tag* tags = row.tags;
  const std::size_t n = row.tag_count;
  const auto by_name = [](const Tag& a, const Tag& b) { return a.name < b.name; };
  if (!std::is_sorted(tags, tags + n, by_name)) {
    sorted_.assign(tags, tags + n);
    std::stable_sort(sorted_.begin(), sorted_.end(), by_name);
    tags = sorted_.data();
  }
  fields_.clear();
  for (std::size_t i = 0; i < n; ++i) {
    const Tag& t = tags[i];
    if (const InfluxFieldKind* kind = field_kind(t.name)) {
      // A tag turned into a field is one even when empty; one named "value" gives way to the
      // sample's value, as k6's map assignment does.
      if (t.name != "value") fields_.push_back({t.name, t.value, *kind});
      continue;
    }
    if (t.value.empty()) continue;
    tags_text_.push_back(',');
    append_tag_text(tags_text_, t.name);
    tags_text_.push_back('=');
    append_tag_text(tags_text_, t.value);
  }
  tags_hash_ = std::hash<std::string_view>{}(tags_text_);
  // Fields sorted by key, "value" among them: those before it, and those after.
  std::sort(fields_.begin(), fields_.end(), [](const Field& a, const Field& b) { return a.key < b.key; });
  for (const Field& f : fields_) {
    const bool before = f.key < std::string_view("value");
    std::string& text = before ? fields_before_ : fields_after_;
    if (!before || !text.empty()) text.push_back(',');
    append_field(text, f);
  }
  if (!fields_before_.empty()) fields_before_.push_back(',');
}

bool Formatter::append(std::string& out, const SampleRow& row) {
  if (!std::isfinite(row.value)) return false;
  // Tag set 0 is a row that did not say (every set the expander makes is numbered from 1).
  if (row.tag_set == 0 || row.tag_set != rendered_set_) render_tags(row);
  const std::size_t start = out.size();
  append_measurement(out, row.metric->name);
  const std::size_t measurement_end = out.size();
  out.append(tags_text_);
  out.push_back(' ');
  out.append(fields_before_);
  out.append("value=");
  append_float(out, row.value);
  out.append(fields_after_);
  out.push_back(' ');
  Nanos t = row.time;
  if (divisor_ == 1) {
    // The series is the measurement and the tags; a collision of two series' hashes would only
    // move a point 1 ns more than needed.
    std::uint64_t series = std::hash<std::string_view>{}(std::string_view(out).substr(start, measurement_end - start));
    series ^= tags_hash_ + 0x9e3779b97f4a7c15ULL + (series << 6) + (series >> 2);
    t = unique_time(series, t);
  } else {
    t /= divisor_;
  }
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, t).ptr);
  out.push_back('\n');
  return true;
}

}  // namespace inferload::output::line_protocol
