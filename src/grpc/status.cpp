#include "inferload/grpc/status.hpp"

#include <limits>

namespace inferload::grpc {

const char* to_string(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::ok: return "OK";
    case StatusCode::cancelled: return "CANCELLED";
    case StatusCode::unknown: return "UNKNOWN";
    case StatusCode::invalid_argument: return "INVALID_ARGUMENT";
    case StatusCode::deadline_exceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::not_found: return "NOT_FOUND";
    case StatusCode::already_exists: return "ALREADY_EXISTS";
    case StatusCode::permission_denied: return "PERMISSION_DENIED";
    case StatusCode::resource_exhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::failed_precondition: return "FAILED_PRECONDITION";
    case StatusCode::aborted: return "ABORTED";
    case StatusCode::out_of_range: return "OUT_OF_RANGE";
    case StatusCode::unimplemented: return "UNIMPLEMENTED";
    case StatusCode::internal: return "INTERNAL";
    case StatusCode::unavailable: return "UNAVAILABLE";
    case StatusCode::data_loss: return "DATA_LOSS";
    case StatusCode::unauthenticated: return "UNAUTHENTICATED";
  }
  return "UNKNOWN";
}

ParsedStatus parse_status(std::string_view value) noexcept {
  if (value.empty()) return {};
  unsigned number = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return {};
    number = number * 10 + static_cast<unsigned>(c - '0');
    // Stops before a long run of digits can overflow; leading zeros keep it small and pass.
    if (number > kMaxStatusCode) return {};
  }
  return {static_cast<StatusCode>(number), true};
}

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

void decode_message(std::string_view value, std::string& out) {
  out.reserve(out.size() + value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '%' && i + 2 < value.size()) {
      int high = hex_value(value[i + 1]);
      int low = hex_value(value[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high << 4 | low));
        i += 2;
        continue;
      }
    }
    out.push_back(value[i]);
  }
}

std::string decode_message(std::string_view value) {
  std::string out;
  decode_message(value, out);
  return out;
}

namespace {

struct TimeoutUnit {
  char symbol;
  std::int64_t ns;
};

// Finest first, so the first unit whose value fits is the most precise one.
constexpr TimeoutUnit kTimeoutUnits[] = {
    {'n', 1},
    {'u', 1'000},
    {'m', 1'000'000},
    {'S', 1'000'000'000},
    {'M', 60'000'000'000},
    {'H', 3'600'000'000'000},
};

constexpr std::int64_t kMaxTimeoutValue = 99'999'999;

}  // namespace

std::size_t format_timeout(std::int64_t timeout_ns, char* out) noexcept {
  std::int64_t value = 0;
  char symbol = 'n';
  if (timeout_ns > 0) {
    for (const TimeoutUnit& unit : kTimeoutUnits) {
      // Rounded up: a deadline the server sees as shorter would fail calls the client still waits for.
      value = timeout_ns / unit.ns + (timeout_ns % unit.ns != 0 ? 1 : 0);
      symbol = unit.symbol;
      if (value <= kMaxTimeoutValue) break;
    }
  }
  char digits[8];
  std::size_t count = 0;
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  std::size_t size = 0;
  while (count != 0) out[size++] = digits[--count];
  out[size++] = symbol;
  return size;
}

std::string format_timeout(std::int64_t timeout_ns) {
  char buffer[kMaxTimeoutSize];
  return std::string(buffer, format_timeout(timeout_ns, buffer));
}

std::optional<std::int64_t> parse_timeout(std::string_view value) noexcept {
  if (value.size() < 2 || value.size() > kMaxTimeoutSize) return std::nullopt;
  std::int64_t number = 0;
  for (char c : value.substr(0, value.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    number = number * 10 + (c - '0');
  }
  for (const TimeoutUnit& unit : kTimeoutUnits) {
    if (unit.symbol != value.back()) continue;
    if (number > std::numeric_limits<std::int64_t>::max() / unit.ns) return std::numeric_limits<std::int64_t>::max();
    return number * unit.ns;
  }
  return std::nullopt;
}

}  // namespace inferload::grpc
