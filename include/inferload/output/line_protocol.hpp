#pragma once
// InfluxDB line protocol exactly as k6's InfluxDB output writes it through the v1 Go client
// (influxdb1-client's models.NewPoint and Point.PrecisionString):
//
//   measurement,tag1=v1,tag2=v2 field1="text",value=12.345678 1718000000123456789\n
//
// Tags sorted by key, those with an empty value left out; in tag keys and values ',', ' ' and
// '=' are escaped with a backslash, in the measurement ',' and ' '. Fields sorted by key; a
// string field is quoted with '\' and '"' escaped; a float is its shortest round-trip decimal
// without exponent (Go's strconv.FormatFloat(v, 'f', -1, 64)); an integer ends in 'i'. The
// timestamp is Unix ns divided by the precision's multiplier.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "inferload/output/influxdb_output.hpp"
#include "inferload/output/sample_rows.hpp"

namespace inferload::output::line_protocol {

void append_measurement(std::string& out, std::string_view name);
void append_tag_text(std::string& out, std::string_view key_or_value);
// Go client's escape.String: ',', '"', ' ' and '='.
void append_field_key(std::string& out, std::string_view key);
void append_string_field(std::string& out, std::string_view value);
void append_float(std::string& out, double value);

// The divisor of Unix ns for a precision the v1 client accepts ("", "n", "ns": 1; "u": 1e3;
// "ms"; "s"; "m"; "h"); 0 for anything else (the client refuses "us", for one).
std::int64_t precision_divisor(std::string_view precision) noexcept;

class Formatter {
 public:
  Formatter(std::vector<std::pair<std::string, InfluxFieldKind>> tags_as_fields, std::int64_t divisor);

  // Appends the row's point and its '\n'. False, with nothing appended, for a point InfluxDB
  // refuses whole (a NaN or infinite value), which k6's client would refuse too.
  bool append(std::string& out, const SampleRow& row);

 private:
  struct Field {
    std::string_view key;
    std::string_view text;
    InfluxFieldKind kind;
  };
  const InfluxFieldKind* field_kind(std::string_view tag) const noexcept;
  void append_field(std::string& out, const Field& f);
  void render_tags(const SampleRow& row);
  Nanos unique_time(std::uint64_t series, Nanos t);

  std::vector<std::pair<std::string, InfluxFieldKind>> tags_as_fields_;
  std::int64_t divisor_;
  std::vector<Tag> sorted_;
  std::vector<Field> fields_;
  // The last tag set's rendering: ",k=v..." and the fields before and after "value=".
  std::uint64_t rendered_set_ = 0;
  std::string tags_text_, fields_before_, fields_after_;
  std::uint64_t tags_hash_ = 0;
  // Per series (a hash of measurement and tags): the times its points were written with over
  // the last second, in a set and in the order written (see unique_time()).
  struct Written {
    std::unordered_set<Nanos> times;
    std::deque<Nanos> order;
  };
  std::unordered_map<std::uint64_t, Written> written_;
};

}  // namespace inferload::output::line_protocol
