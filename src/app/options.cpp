#include "inferload/app/options.hpp"

#include <charconv>
#include <stdexcept>

#include "inferload/app/cli.hpp"

namespace inferload::app {
namespace {

[[noreturn]] void option_error(std::string_view source, const std::string& msg) {
  throw ExitError(kExitOtherError, std::string(source) + ": " + msg);
}

}  // namespace

std::uint64_t parse_count(std::string_view source, std::string_view text, std::uint64_t min, std::uint64_t max) {
  const std::string range = "(allowed: " + std::to_string(min) + " to " + std::to_string(max) + ")";
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  const bool digits_only = !text.empty() && p == text.data() + text.size();
  if (ec == std::errc::result_out_of_range && digits_only) {
    option_error(source, std::string(text) + " is out of range " + range);
  }
  if (ec != std::errc() || !digits_only) {
    option_error(source, "\"" + std::string(text) + "\" is not a whole number " + range);
  }
  if (v < min || v > max) option_error(source, std::string(text) + " is out of range " + range);
  return v;
}

runtime::Nanos parse_duration_option(std::string_view source, std::string_view text, runtime::DurationSyntax syntax) {
  try {
    return runtime::parse_duration(text, syntax, kMaxDuration);
  } catch (const std::invalid_argument& e) {
    option_error(source, e.what());
  }
}

}  // namespace inferload::app
