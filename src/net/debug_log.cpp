#include "inferload/net/debug_log.hpp"

#include <ctime>

namespace inferload::net {
namespace {

// logrus quotes a field's value as Go's %q does.
void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

std::uint64_t DebugLog::next_id() noexcept {
  std::lock_guard lock(mu_);
  return ++ids_;
}

void DebugLog::record(std::string_view title, std::string_view text, std::uint64_t id, std::uint32_t vu,
                      std::string_view protocol) noexcept {
  try {
    std::string msg(title);
    msg += '\n';
    // k6 turns CRLF into LF; a cut body says how much was left out.
    std::size_t kept = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
      if (++kept > kMaxBody) {
        msg += "\n[" + std::to_string(text.size() - i) + " more bytes not logged]";
        break;
      }
      msg += text[i];
    }
    char when[32];
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::string line = "time=\"";
    line += when;
    line += "\" level=info msg=";
    append_quoted(line, msg);
    line += " proto=" + std::string(protocol) + " request_id=" + std::to_string(id) + " source=http-debug vu=" +
            std::to_string(vu) + "\n";
    std::lock_guard lock(mu_);
    if (records_ > max_records_) return;
    if (records_++ == max_records_) {
      std::fprintf(out_, "time=\"%s\" level=warning msg=\"--http-debug: %llu records logged; the rest are not\" "
                         "source=http-debug\n",
                   when, static_cast<unsigned long long>(max_records_));
      return;
    }
    std::fwrite(line.data(), 1, line.size(), out_);
  } catch (...) {
    // Debug output must never take the run down.
  }
}

}  // namespace inferload::net
