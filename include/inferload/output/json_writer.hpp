#pragma once
// Streaming JSON objects laid out as JavaScript's JSON.stringify(value, null, indent) lays them
// out: one member or element per line, "key": value, empty objects and arrays as {} and [],
// numbers as JS prints them.
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace inferload::output {

// A JSON string literal with its quotes, escaped as JSON.stringify escapes: \" \\ \b \f \n \r \t,
// other control characters as \u00XX; everything else (UTF-8 included) passes through.
std::string json_quote(std::string_view s);

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& out, int indent = 4) : out_(out), indent_(indent) {}

  // Inside an object every value must be preceded by key(), inside an array by element(); at the
  // top level by neither.
  void key(std::string_view k);
  void element();

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();

  void string(std::string_view s);
  void number(double v);  // NaN and ±Infinity become null, as in JSON.stringify
  void integer(std::uint64_t v);
  void boolean(bool v);
  void null();

 private:
  void newline();

  std::ostream& out_;
  int indent_;
  void close(char bracket);

  std::vector<bool> has_members_;  // one entry per open object or array
};

// An array of strings, and an object of string members (from any range of string pairs).
void write_strings(JsonWriter& w, const std::vector<std::string>& items);
template <typename Pairs>
void write_string_members(JsonWriter& w, const Pairs& members) {
  w.begin_object();
  for (const auto& [name, value] : members) {
    w.key(name);
    w.string(value);
  }
  w.end_object();
}

}  // namespace inferload::output
