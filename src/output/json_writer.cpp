#include "inferload/output/json_writer.hpp"

#include "inferload/oip/json_text.hpp"
#include "inferload/output/k6_format.hpp"

namespace inferload::output {

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  oip::append_json_string(out, s);
  return out;
}

void JsonWriter::newline() {
  out_ << '\n';
  for (std::size_t i = 0; i < has_members_.size() * static_cast<std::size_t>(indent_); ++i) out_ << ' ';
}

void JsonWriter::key(std::string_view k) {
  if (has_members_.back()) out_ << ',';
  has_members_.back() = true;
  newline();
  out_ << json_quote(k) << ": ";
}

void JsonWriter::element() {
  if (has_members_.back()) out_ << ',';
  has_members_.back() = true;
  newline();
}

void JsonWriter::begin_object() {
  out_ << '{';
  has_members_.push_back(false);
}

void JsonWriter::end_object() { close('}'); }

void JsonWriter::begin_array() {
  out_ << '[';
  has_members_.push_back(false);
}

void JsonWriter::end_array() { close(']'); }

void JsonWriter::close(char bracket) {
  const bool had_members = has_members_.back();
  has_members_.pop_back();
  if (had_members) newline();
  out_ << bracket;
}

void JsonWriter::string(std::string_view s) { out_ << json_quote(s); }

void JsonWriter::number(double v) { out_ << json_number(v); }

void JsonWriter::integer(std::uint64_t v) { out_ << v; }

void JsonWriter::boolean(bool v) { out_ << (v ? "true" : "false"); }

void JsonWriter::null() { out_ << "null"; }

void write_strings(JsonWriter& w, const std::vector<std::string>& items) {
  w.begin_array();
  for (const std::string& s : items) {
    w.element();
    w.string(s);
  }
  w.end_array();
}

}  // namespace inferload::output
