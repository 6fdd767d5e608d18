#include "inferload/app/rfc3339.hpp"

#include <string>

#include "inferload/app/cli.hpp"

namespace inferload::app {
namespace {

// Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (Howard Hinnant's
// days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  // Exactly `n` digits.
  bool digits(int n, unsigned& out) {
    out = 0;
    for (int i = 0; i < n; ++i) {
      if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return false;
      out = out * 10 + static_cast<unsigned>(s_[i_++] - '0');
    }
    return true;
  }
  bool take(char c) {
    if (i_ < s_.size() && (s_[i_] == c || (c >= 'A' && c <= 'Z' && s_[i_] == c - 'A' + 'a'))) {
      ++i_;
      return true;
    }
    return false;
  }
  bool digit_next() const { return i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9'; }
  bool done() const { return i_ == s_.size(); }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

runtime::Nanos parse_rfc3339(std::string_view source, std::string_view text) {
  auto bad = [&](const std::string& why) -> ExitError {
    return ExitError(kExitOtherError, std::string(source) + ": \"" + std::string(text) + "\" is not an RFC 3339 time " +
                                          "such as 2025-06-01T12:00:00Z" + (why.empty() ? "" : ": " + why));
  };
  Cursor c(text);
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!c.digits(4, year) || !c.take('-') || !c.digits(2, month) || !c.take('-') || !c.digits(2, day) || !c.take('T') ||
      !c.digits(2, hour) || !c.take(':') || !c.digits(2, minute) || !c.take(':') || !c.digits(2, second)) {
    throw bad("");
  }
  runtime::Nanos fraction = 0;
  if (c.take('.')) {
    if (!c.digit_next()) throw bad("");
    runtime::Nanos scale = runtime::kSecond;
    while (c.digit_next()) {
      unsigned d = 0;
      c.digits(1, d);
      scale /= 10;
      fraction += static_cast<runtime::Nanos>(d) * scale;  // digits past the nanosecond add 0
    }
  }
  std::int64_t offset_minutes = 0;
  if (!c.take('Z')) {
    const bool plus = c.take('+');
    if (!plus && !c.take('-')) throw bad("");
    unsigned oh = 0, om = 0;
    if (!c.digits(2, oh) || !c.take(':') || !c.digits(2, om) || oh > 23 || om > 59) throw bad("");
    offset_minutes = (plus ? 1 : -1) * static_cast<std::int64_t>(oh * 60 + om);
  }
  if (!c.done()) throw bad("");
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) throw bad("no such date");
  if (hour > 23 || minute > 59 || second > 59) throw bad("no such time of day");
  const std::int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
                               offset_minutes * 60;
  return seconds * runtime::kSecond + fraction;
}

}  // namespace inferload::app
