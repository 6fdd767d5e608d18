#include "inferload/app/influxdb_options.hpp"

#include <charconv>
#include <string_view>
#include <utility>
#include <vector>

#include "inferload/app/cli.hpp"
#include "inferload/app/options.hpp"
#include "inferload/output/blocking_http.hpp"
#include "inferload/output/line_protocol.hpp"

namespace inferload::app {
namespace {

using output::InfluxFieldKind;
using output::InfluxOptions;

[[noreturn]] void fail(const std::string& source, const std::string& msg) {
  throw ExitError(kExitOtherError, source + ": " + msg);
}

constexpr std::string_view kUrlForm = "http://[user:pass@]host:port/DB[?params]";

// A URL as Go's net/url.Parse takes it apart, as far as k6's InfluxDB output uses it.
struct Url {
  std::string scheme;
  bool has_user = false;
  std::string user, password;
  std::string host;  // without brackets
  std::optional<std::uint16_t> port;
  std::string path;  // percent-decoded
  std::vector<std::pair<std::string, std::string>> query;  // in order, decoded
};

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes (and, in a query, '+' for a space), as Go's url.PathUnescape/QueryUnescape.
std::string unescape(const std::string& source, std::string_view s, bool query) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      const int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) fail(source, "invalid URL escape \"" + std::string(s.substr(i, 3)) + "\"");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (query && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

Url parse_url(const std::string& source, std::string_view text) {
  Url u;
  const auto colon_slashes = text.find("://");
  const auto scheme_end = text.find_first_of(":/?#");
  if (colon_slashes == std::string_view::npos || colon_slashes != scheme_end || colon_slashes == 0) {
    // Appended, not "\"" + std::string(text): GCC 12 warns falsely (-Wrestrict) on that.
    std::string msg(1, '"');
    msg.append(text).append("\" is not a URL of the form ").append(kUrlForm);
    fail(source, msg);
  }
  u.scheme.assign(text.data(), colon_slashes);
  for (char& c : u.scheme) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::string_view rest = text.substr(colon_slashes + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  std::string_view raw_query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    raw_query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) u.path = unescape(source, rest.substr(slash), false);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    u.has_user = true;
    const auto colon = userinfo.find(':');
    u.user = unescape(source, userinfo.substr(0, colon), false);
    if (colon != std::string_view::npos) u.password = unescape(source, userinfo.substr(colon + 1), false);
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) fail(source, "missing ']' in the host of \"" + std::string(text) + "\"");
    u.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') fail(source, "bad host \"" + std::string(authority) + "\"");
    if (!after.empty()) port_text = after.substr(1);
  } else {
    const auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (!port_text.empty()) {
    unsigned v = 0;
    const auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (r.ec != std::errc() || r.ptr != port_text.data() + port_text.size() || v > 65535) {
      fail(source, "invalid port \"" + std::string(port_text) + "\" in \"" + std::string(text) + "\"");
    }
    u.port = static_cast<std::uint16_t>(v);
  }
  // Go's url.ParseQuery: '&'-separated key=value pairs.
  std::size_t from = 0;
  while (from <= raw_query.size() && !raw_query.empty()) {
    const auto amp = raw_query.find('&', from);
    const std::string_view pair = raw_query.substr(from, amp == std::string_view::npos ? std::string_view::npos : amp - from);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      u.query.emplace_back(unescape(source, pair.substr(0, eq), true),
                           eq == std::string_view::npos ? std::string() : unescape(source, pair.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    from = amp + 1;
  }
  return u;
}

// Where the writes go: http[s]://host[:port][/prefix]. udp:// is refused here, so that the run
// never starts with an output it cannot write.
void set_address(InfluxOptions& o, const std::string& source, const Url& u, const std::string& text) {
  if (u.scheme == "udp") {
    fail(source, "influxdb over UDP (" + text + ") is not supported by inferload; use InfluxDB's HTTP API, " +
                     std::string(kUrlForm));
  }
  if (u.scheme != "http" && u.scheme != "https") {
    fail(source, "unsupported protocol scheme \"" + u.scheme + "\" in " + text +
                     ": the address must start with http:// or https://");
  }
  if (u.host.empty()) fail(source, "no host in " + text);
  for (const char c : u.host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) fail(source, "a space or control character in the host of " + text);
  }
  o.scheme = u.scheme;
  o.host = u.host;
  o.port = u.port.value_or(u.scheme == "https" ? 443 : 80);
}

bool parse_bool(std::string_view s, bool& out) {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (s == t) return out = true, true;
  }
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (s == f) return out = false, true;
  }
  return false;
}

void set_precision(InfluxOptions& o, const std::string& source, const std::string& value) {
  if (output::line_protocol::precision_divisor(value) == 0) {
    fail(source, "invalid precision \"" + value + "\" (use n, u, ms, s, m or h)");
  }
  o.precision = value;
}

// k6's MakeFieldKinds: `name[:type]`, type string (the default), int, float or bool.
void set_tags_as_fields(InfluxOptions& o, const std::string& source, const std::vector<std::string>& items) {
  std::vector<std::pair<std::string, InfluxFieldKind>> fields;
  for (const std::string& item : items) {
    const auto colon = item.find(':');
    const std::string name = item.substr(0, colon);
    const std::string type = colon == std::string::npos ? std::string() : item.substr(colon + 1);
    if (name.empty()) continue;
    InfluxFieldKind kind;
    if (type.empty() || type == "string") kind = InfluxFieldKind::string;
    else if (type == "int") kind = InfluxFieldKind::integer;
    else if (type == "float") kind = InfluxFieldKind::floating;
    else if (type == "bool") kind = InfluxFieldKind::boolean;
    else fail(source, "an invalid type (" + type + ") is specified for an InfluxDB field (" + name + "): use string, int, float or bool");
    for (const auto& f : fields) {
      if (f.first == name) fail(source, "a tag name (" + name + ") shows up more than once in InfluxDB field type configurations");
    }
    fields.emplace_back(name, kind);
  }
  if (!fields.empty()) o.tags_as_fields = std::move(fields);
}

int concurrent_writes(const std::string& source, const std::string& value) {
  // k6 takes any positive number; each is a thread here, so a sane bound.
  return static_cast<int>(parse_count(source, value, 1, 64));
}

runtime::Nanos push_interval(const std::string& source, const std::string& value) {
  const runtime::Nanos d = parse_duration_option(source, value, runtime::DurationSyntax::extended);
  if (d <= 0) fail(source, "the push interval must be above 0");
  return d;
}

void check_payload_size(const std::string& source, const std::string& value) {
  // Only UDP uses it; k6 still refuses a value that is not a number.
  int v = 0;
  const auto r = std::from_chars(value.data(), value.data() + value.size(), v);
  if (r.ec != std::errc() || r.ptr != value.data() + value.size()) fail(source, "\"" + value + "\" is not a number");
}

void set_proxy(InfluxOptions& o, const std::string& source, const std::string& text) {
  const Url u = parse_url(source, text);
  if (u.scheme != "http") fail(source, "only an http:// proxy is supported, not " + text);
  if (u.host.empty()) fail(source, "no host in " + text);
  o.proxy_host = u.host;
  o.proxy_port = u.port.value_or(80);
  o.proxy_authorization.clear();
  if (u.has_user) o.proxy_authorization = "Basic " + output::base64(u.user + ":" + u.password);
}

}  // namespace

output::InfluxOptions influxdb_options(const std::string& source, const std::optional<std::string>& url,
                                       const scv2::EnvLookup& env) {
  InfluxOptions o;
  // An empty variable counts as unset, as k6's envconfig leaves a null value null.
  const auto var = [&](const char* name) -> std::optional<std::string> {
    auto v = env(name);
    if (v && v->empty()) v.reset();
    return v;
  };
  if (auto v = var("K6_INFLUXDB_ADDR")) {
    const Url u = parse_url("K6_INFLUXDB_ADDR", *v);
    set_address(o, "K6_INFLUXDB_ADDR", u, *v);
    o.base_path = u.path;
    while (!o.base_path.empty() && o.base_path.back() == '/') o.base_path.pop_back();
    if (u.has_user) {
      o.username = u.user;
      o.password = u.password;
    }
  }
  if (auto v = var("K6_INFLUXDB_DB")) o.db = *v;
  if (auto v = var("K6_INFLUXDB_USERNAME")) o.username = *v;
  if (auto v = var("K6_INFLUXDB_PASSWORD")) o.password = *v;
  if (auto v = var("K6_INFLUXDB_INSECURE")) {
    if (!parse_bool(*v, o.insecure)) fail("K6_INFLUXDB_INSECURE", "\"" + *v + "\" is not true or false");
  }
  if (auto v = var("K6_INFLUXDB_PROXY")) set_proxy(o, "K6_INFLUXDB_PROXY", *v);
  if (auto v = var("K6_INFLUXDB_PAYLOAD_SIZE")) check_payload_size("K6_INFLUXDB_PAYLOAD_SIZE", *v);
  if (auto v = var("K6_INFLUXDB_PUSH_INTERVAL")) o.push_interval = push_interval("K6_INFLUXDB_PUSH_INTERVAL", *v);
  if (auto v = var("K6_INFLUXDB_CONCURRENT_WRITES")) {
    o.concurrent_writes = concurrent_writes("K6_INFLUXDB_CONCURRENT_WRITES", *v);
  }
  if (auto v = var("K6_INFLUXDB_PRECISION")) set_precision(o, "K6_INFLUXDB_PRECISION", *v);
  if (auto v = var("K6_INFLUXDB_RETENTION")) o.retention = *v;
  if (auto v = var("K6_INFLUXDB_CONSISTENCY")) o.consistency = *v;
  if (auto v = var("K6_INFLUXDB_TAGS_AS_FIELDS")) {
    std::vector<std::string> items;
    std::size_t from = 0;
    for (;;) {
      const auto comma = v->find(',', from);
      items.push_back(v->substr(from, comma == std::string::npos ? std::string::npos : comma - from));
      if (comma == std::string::npos) break;
      from = comma + 1;
    }
    set_tags_as_fields(o, "K6_INFLUXDB_TAGS_AS_FIELDS", items);
  }

  if (url && !url->empty()) {
    const std::string where = source + " influxdb";
    const Url u = parse_url(where, *url);
    // The URL's address is scheme://host only: a K6_INFLUXDB_ADDR prefix does not survive it.
    if (!u.host.empty() || u.scheme != "http") {
      set_address(o, where, u, *url);
      o.base_path.clear();
    }
    std::string db = u.path;
    if (!db.empty() && db.front() == '/') db.erase(0, 1);
    if (!db.empty()) o.db = db;
    if (u.has_user) {
      o.username = u.user;
      o.password = u.password;
    }
    std::vector<std::string> tags_as_fields;
    for (const auto& [key, value] : u.query) {
      const std::string param = where + " (" + key + ")";
      if (key == "insecure") {
        if (!value.empty() && value != "true" && value != "false") {
          fail(param, "insecure must be true or false, not " + value);
        }
        if (!value.empty()) o.insecure = value == "true";
      } else if (key == "payload_size") {
        check_payload_size(param, value);
      } else if (key == "precision") {
        set_precision(o, param, value);
      } else if (key == "retention") {
        o.retention = value;
      } else if (key == "consistency") {
        o.consistency = value;
      } else if (key == "pushInterval") {
        o.push_interval = push_interval(param, value);
      } else if (key == "concurrentWrites") {
        o.concurrent_writes = concurrent_writes(param, value);
      } else if (key == "tagsAsFields") {
        tags_as_fields.push_back(value);
      } else {
        fail(where, "unknown query parameter: " + key +
                        " (known: insecure, payload_size, precision, retention, consistency, pushInterval, "
                        "concurrentWrites, tagsAsFields)");
      }
    }
    if (!tags_as_fields.empty()) set_tags_as_fields(o, where + " (tagsAsFields)", tags_as_fields);
  }
  if (o.db.empty()) o.db = "k6";
  // An https server behind a proxy needs a CONNECT tunnel, which this client does not open.
  if (!o.proxy_host.empty() && o.scheme == "https") {
    fail("K6_INFLUXDB_PROXY", "a proxy for an https:// InfluxDB is not supported by inferload; reach it directly");
  }
  return o;
}

}  // namespace inferload::app
