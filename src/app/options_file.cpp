#include "inferload/app/options_file.hpp"

#include <boost/json.hpp>
// basic_parser is a template: its definitions are needed for the duplicate-key handler.
#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "inferload/app/options.hpp"
#include "inferload/output/report_builder.hpp"
#include "inferload/runtime/duration.hpp"

namespace inferload::app {
namespace {

namespace json = boost::json;
using load::ExecutorKind;
using load::ScenarioConfig;
using runtime::Nanos;

constexpr std::int64_t kMaxVuCount = static_cast<std::int64_t>(kMaxVus);
constexpr std::int64_t kMaxIterationCount = static_cast<std::int64_t>(kMaxIterations);
constexpr std::int64_t kMaxRate = 1'000'000'000;
// k6's cap on a stage target; ramping-vus targets are VUs and so stay within kMaxVuCount.
constexpr std::int64_t kMaxStageTarget = 100'000'000;

// Options k6 knows that change nothing inferload does, so a k6 config file still loads.
constexpr std::string_view kIgnoredOptions[] = {
    "setupTimeout", "teardownTimeout", "noConnectionReuse", "userAgent",
    "tags",         "discardResponseBodies", "summaryTimeUnit", "noSetup", "noTeardown",
    "batch",        "batchPerHost",    "maxRedirects",      "rps",       "minIterationDuration",
    "systemTags",   "hosts",           "dns",               "ext",       "cloud",
    "throw",
};

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
// Numbers as written, not as Boost.JSON serialises doubles ("1.5E0").
std::string number_text(const json::value& v) {
  if (!v.is_double()) return json::serialize(v);
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.get_double());
  return ec == std::errc() ? std::string(buf, end) : json::serialize(v);
}

std::string element(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

class Reader {
 public:
  explicit Reader(const std::string& file) : file_(file) {}

  [[noreturn]] void fail(const std::string& path, const std::string& why) const {
    throw std::invalid_argument(file_ + ": " + (path.empty() ? "" : path + ": ") + why);
  }

  const json::object& object(const json::value& v, const std::string& path) const {
    if (!v.is_object()) fail(path, "must be an object");
    return v.get_object();
  }
  const json::array& array(const json::value& v, const std::string& path) const {
    if (!v.is_array()) fail(path, "must be an array");
    return v.get_array();
  }
  std::string string(const json::value& v, const std::string& path) const {
    if (!v.is_string()) fail(path, "must be a string");
    return std::string(v.get_string());
  }
  bool boolean(const json::value& v, const std::string& path) const {
    if (!v.is_bool()) fail(path, "must be true or false");
    return v.get_bool();
  }

  // A whole number in [min, max]; min is 0 or 1, as k6's checks are "can't be negative" and
  // "must be more than 0".
  std::int64_t integer(const json::value& v, const std::string& path, std::int64_t min, std::int64_t max) const {
    std::int64_t n = 0;
    if (v.is_int64()) {
      n = v.get_int64();
    } else if (v.is_uint64()) {
      out_of_range(v, path, min, max);  // only numbers beyond int64 are stored as uint64
    } else if (v.is_double()) {
      const double d = v.get_double();
      if (!std::isfinite(d) || std::floor(d) != d) fail(path, number_text(v) + " is not a whole number");
      if (d < -0x1p63 || d >= 0x1p63) out_of_range(v, path, min, max);
      n = static_cast<std::int64_t>(d);
    } else {
      fail(path, "must be a number");
    }
    if (n < min) fail(path, min == 1 ? "must be more than 0" : "can't be negative");
    if (n > max) out_of_range(v, path, min, max);
    return n;
  }

  // A string in k6's extended syntax, or a JSON number of milliseconds.
  Nanos duration(const json::value& v, const std::string& path) const {
    try {
      if (v.is_string()) {
        return runtime::parse_duration(v.get_string(), runtime::DurationSyntax::extended, kMaxDuration);
      }
      if (v.is_int64() || v.is_uint64()) {
        return runtime::parse_duration(json::serialize(v), runtime::DurationSyntax::extended, kMaxDuration);
      }
    } catch (const std::invalid_argument& e) {
      fail(path, e.what());
    }
    if (!v.is_double()) fail(path, "must be a duration string or a number of milliseconds");
    const long double ns = static_cast<long double>(v.get_double()) * 1e6L;
    if (!(ns >= 0)) fail(path, "invalid duration " + number_text(v) + ": must not be negative");
    if (!(ns <= static_cast<long double>(kMaxDuration))) {
      fail(path, "invalid duration " + number_text(v) + ": too large (at most " +
                     runtime::format_go_duration(kMaxDuration) + ")");
    }
    return static_cast<Nanos>(std::roundl(ns));
  }

  std::map<std::string, std::string> string_map(const json::value& v, const std::string& path) const {
    std::map<std::string, std::string> out;
    for (const auto& kv : object(v, path)) out[std::string(kv.key())] = string(kv.value(), child(path, kv.key()));
    return out;
  }

 private:
  [[noreturn]] void out_of_range(const json::value& v, const std::string& path, std::int64_t min, std::int64_t max) const {
    fail(path, number_text(v) + " is out of range (allowed: " + std::to_string(min) + " to " + std::to_string(max) + ")");
  }

  const std::string& file_;
};

// A first pass over the text, because Boost.JSON's tree keeps only the last of two equal keys
// and its errors carry no position: this one refuses duplicates and knows where it stopped.
class StrictJsonHandler {
 public:
  static constexpr std::size_t max_array_size = -1;
  static constexpr std::size_t max_object_size = -1;
  static constexpr std::size_t max_string_size = -1;
  static constexpr std::size_t max_key_size = -1;

  std::string duplicate;  // "path: \"key\" is given twice" once found

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return open(false); }
  bool on_array_end(std::size_t, json::error_code&) { return close(); }
  bool on_object_begin(json::error_code&) { return open(true); }
  bool on_object_end(std::size_t, json::error_code&) { return close(); }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return scalar(); }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_.append(s.data(), s.size());
    Frame& f = frames_.back();
    if (!f.keys.insert(key_).second) {
      const std::string where = path(frames_.size() - 1);
      duplicate = (where.empty() ? "" : where + ": ") + "\"" + key_ + "\" is given twice";
      ec = json::error::syntax;
      return false;
    }
    f.key = std::move(key_);
    key_.clear();
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return scalar(); }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return scalar(); }
  bool on_double(double, json::string_view, json::error_code&) { return scalar(); }
  bool on_bool(bool, json::error_code&) { return scalar(); }
  bool on_null(json::error_code&) { return scalar(); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  struct Frame {
    bool is_object = false;
    std::set<std::string> keys;
    std::string key;          // objects: the member being read
    std::size_t elements = 0;  // arrays: how many have begun
  };

  bool scalar() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().elements;
    return true;
  }
  bool open(bool is_object) {
    scalar();
    frames_.push_back(Frame{is_object, {}, {}, 0});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return true;
  }
  // The path of the value that frames_[depth] is, e.g. "scenarios.fast.stages[1]".
  std::string path(std::size_t depth) const {
    std::string p;
    for (std::size_t i = 0; i < depth; ++i) {
      p = frames_[i].is_object ? child(p, frames_[i].key) : element(p, frames_[i].elements - 1);
    }
    return p;
  }

  std::vector<Frame> frames_;
  std::string key_;
};

json::value parse_strict(std::string_view text, const Reader& r) {
  json::basic_parser<StrictJsonHandler> checker(json::parse_options{});
  json::error_code ec;
  const std::size_t consumed = checker.write_some(false, text.data(), text.size(), ec);
  if (!checker.handler().duplicate.empty()) r.fail("", checker.handler().duplicate);
  if (ec) {
    const std::size_t line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + consumed, '\n'));
    r.fail("line " + std::to_string(line), ec.message());
  }
  return json::parse(json::string_view(text.data(), text.size()));
}

std::vector<load::Stage> parse_stages(const Reader& r, const json::value& v, const std::string& path,
                                      std::int64_t max_target) {
  std::vector<load::Stage> stages;
  const json::array& a = r.array(v, path);
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string spath = element(path, i);
    load::Stage s;
    bool has_duration = false, has_target = false;
    for (const auto& kv : r.object(a[i], spath)) {
      const std::string kpath = child(spath, kv.key());
      if (kv.key() == "duration") {
        s.duration = r.duration(kv.value(), kpath);
        has_duration = true;
      } else if (kv.key() == "target") {
        s.target = r.integer(kv.value(), kpath, 0, max_target);
        has_target = true;
      } else {
        r.fail(kpath, "unknown field of a stage");
      }
    }
    if (!has_duration) r.fail(spath, "duration is required");
    if (!has_target) r.fail(spath, "target is required");
    stages.push_back(s);
  }
  return stages;
}

bool is_one_of(std::string_view key, std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    if (key == k) return true;
  }
  return false;
}

// k6 decodes each executor's config strictly: these are the only fields each one has, beyond the
// common ones.
bool belongs_to(ExecutorKind kind, std::string_view key) {
  switch (kind) {
    case ExecutorKind::shared_iterations:
    case ExecutorKind::per_vu_iterations:
      return is_one_of(key, {"vus", "iterations", "maxDuration"});
    case ExecutorKind::constant_vus:
      return is_one_of(key, {"vus", "duration"});
    case ExecutorKind::ramping_vus:
      return is_one_of(key, {"startVUs", "stages", "gracefulRampDown"});
    case ExecutorKind::constant_arrival_rate:
      return is_one_of(key, {"rate", "timeUnit", "duration", "preAllocatedVUs", "maxVUs"});
    case ExecutorKind::ramping_arrival_rate:
      return is_one_of(key, {"startRate", "timeUnit", "stages", "preAllocatedVUs", "maxVUs"});
  }
  return false;
}

// The fields k6 has no default for.
std::vector<std::string_view> required_fields(ExecutorKind kind) {
  switch (kind) {
    case ExecutorKind::constant_vus: return {"duration"};
    case ExecutorKind::ramping_vus: return {"stages"};
    case ExecutorKind::constant_arrival_rate: return {"rate", "duration", "preAllocatedVUs"};
    case ExecutorKind::ramping_arrival_rate: return {"stages", "preAllocatedVUs"};
    default: return {};
  }
}

ScenarioConfig defaults_of(const std::string& name, ExecutorKind kind) {
  ScenarioConfig sc;
  sc.name = name;
  sc.executor = kind;
  if (kind == ExecutorKind::shared_iterations || kind == ExecutorKind::per_vu_iterations) {
    sc.vus = 1;
    sc.iterations = 1;
    sc.duration = 10 * 60 * runtime::kSecond;
  }
  if (kind == ExecutorKind::ramping_arrival_rate) sc.rate = 0;  // startRate
  return sc;
}

void apply_field(const Reader& r, ScenarioConfig& sc, std::string_view key, const json::value& v, const std::string& path) {
  if (key == "vus") {
    sc.vus = static_cast<int>(r.integer(v, path, 1, kMaxVuCount));
  } else if (key == "iterations") {
    // shared-iterations' own check ("can't be less than the number of VUs") covers 0 there.
    const std::int64_t min = sc.executor == ExecutorKind::per_vu_iterations ? 1 : 0;
    sc.iterations = static_cast<std::uint64_t>(r.integer(v, path, min, kMaxIterationCount));
  } else if (key == "duration" || key == "maxDuration") {
    sc.duration = r.duration(v, path);
  } else if (key == "stages") {
    const std::int64_t max_target = sc.executor == ExecutorKind::ramping_vus ? kMaxVuCount : kMaxStageTarget;
    sc.stages = parse_stages(r, v, path, max_target);
  } else if (key == "startVUs") {
    sc.start_vus = static_cast<int>(r.integer(v, path, 0, kMaxVuCount));
  } else if (key == "gracefulRampDown") {
    sc.graceful_ramp_down = r.duration(v, path);
  } else if (key == "rate") {
    sc.rate = r.integer(v, path, 1, kMaxRate);
  } else if (key == "startRate") {
    sc.rate = r.integer(v, path, 0, kMaxRate);
  } else if (key == "timeUnit") {
    sc.time_unit = r.duration(v, path);
    if (sc.time_unit == 0) r.fail(path, "must be more than 0");
  } else if (key == "preAllocatedVUs") {
    sc.pre_allocated_vus = static_cast<int>(r.integer(v, path, 0, kMaxVuCount));
  } else if (key == "maxVUs") {
    sc.max_vus = static_cast<int>(r.integer(v, path, 0, kMaxVuCount));
  }
}

ScenarioConfig parse_scenario(const Reader& r, const std::string& name, const json::value& v, const std::string& path) {
  const json::object& obj = r.object(v, path);
  const json::value* executor = obj.if_contains("executor");
  if (executor == nullptr) r.fail(path, "executor is required");
  const std::string executor_name = r.string(*executor, child(path, "executor"));
  ExecutorKind kind{};
  if (!load::executor_from_string(executor_name, kind)) {
    r.fail(child(path, "executor"), executor_name == "externally-controlled"
                                        ? "externally-controlled is not supported"
                                        : "unknown executor type '" + executor_name + "'");
  }

  ScenarioConfig sc = defaults_of(name, kind);
  for (const auto& kv : obj) {
    const std::string_view key = kv.key();
    const std::string kpath = child(path, key);
    if (key == "executor" || key == "options") continue;  // options: the browser module's
    if (key == "startTime") {
      sc.start_time = r.duration(kv.value(), kpath);
    } else if (key == "gracefulStop") {
      sc.graceful_stop = r.duration(kv.value(), kpath);
    } else if (key == "exec") {
      const std::string exec = r.string(kv.value(), kpath);
      if (exec != "default") r.fail(kpath, "function '" + exec + "' not found in exports");
    } else if (key == "env") {
      if (!r.string_map(kv.value(), kpath).empty()) r.fail(kpath, "env is not supported");
    } else if (key == "tags") {
      sc.tags = r.string_map(kv.value(), kpath);
    } else if (belongs_to(kind, key)) {
      apply_field(r, sc, key, kv.value(), kpath);
    } else {
      r.fail(kpath, std::string("unknown field of a ") + load::to_string(kind) + " scenario");
    }
  }
  for (std::string_view key : required_fields(kind)) {
    if (!obj.contains(key)) r.fail(path, std::string(key) + " is required");
  }
  if (load::is_arrival_rate(kind) && !obj.contains("maxVUs")) sc.max_vus = sc.pre_allocated_vus;

  try {
    sc.validate();
  } catch (const std::invalid_argument& e) {
    r.fail(path, e.what());
  }
  return sc;
}

std::vector<ScenarioConfig> parse_scenarios(const Reader& r, const json::value& v) {
  const std::string path = "scenarios";
  const json::object& obj = r.object(v, path);
  if (obj.empty()) r.fail(path, "no scenario");
  std::vector<ScenarioConfig> out;
  for (const auto& kv : obj) {
    const std::string name(kv.key());
    out.push_back(parse_scenario(r, name, kv.value(), child(path, name)));
  }
  return out;
}

// Each threshold is "expr" or {"threshold": "expr", "abortOnFail": bool, "delayAbortEval": "10s"}.
// Returns the expression; an abortOnFail one is added to `decl.aborts` as expression `index`.
std::string parse_threshold(const Reader& r, const json::value& v, const std::string& path, scv2::ThresholdDecl& decl,
                            std::size_t index) {
  if (v.is_string()) return std::string(v.get_string());
  if (!v.is_object()) r.fail(path, "must be a string or an object");
  std::optional<std::string> expression;
  bool abort = false;
  Nanos delay = -1;
  for (const auto& kv : v.get_object()) {
    const std::string kpath = child(path, kv.key());
    if (kv.key() == "threshold") {
      expression = r.string(kv.value(), kpath);
    } else if (kv.key() == "abortOnFail") {
      abort = r.boolean(kv.value(), kpath);
    } else if (kv.key() == "delayAbortEval") {
      delay = r.duration(kv.value(), kpath);
    } else {
      r.fail(kpath, "unknown field of a threshold");
    }
  }
  if (!expression) r.fail(path, "threshold is required");
  if (abort) decl.aborts.push_back({index, delay});
  return *expression;
}

std::vector<scv2::ThresholdDecl> parse_thresholds(const Reader& r, const json::value& v) {
  std::vector<scv2::ThresholdDecl> out;
  for (const auto& kv : r.object(v, "thresholds")) {
    const std::string metric(kv.key());
    const std::string mpath = child("thresholds", metric);
    scv2::ThresholdDecl decl;
    decl.metric = metric;
    std::vector<std::string>& expressions = decl.expressions;
    const json::array& a = r.array(kv.value(), mpath);
    for (std::size_t i = 0; i < a.size(); ++i) expressions.push_back(parse_threshold(r, a[i], element(mpath, i), decl, i));
    // Here rather than at the run's start, so that the error names the file and the key.
    try {
      output::check_threshold({metric, expressions});
    } catch (const std::invalid_argument& e) {
      r.fail(mpath, e.what());
    }
    out.push_back(std::move(decl));
  }
  return out;
}

std::vector<std::string> parse_strings(const Reader& r, const json::value& v, const std::string& path) {
  std::vector<std::string> out;
  const json::array& a = r.array(v, path);
  for (std::size_t i = 0; i < a.size(); ++i) out.push_back(r.string(a[i], element(path, i)));
  return out;
}

bool is_ignored(std::string_view key) {
  for (std::string_view k : kIgnoredOptions) {
    if (key == k) return true;
  }
  return false;
}

}  // namespace

OptionsFile parse_options_file(std::string_view json_text, const std::string& file_name) {
  const Reader r(file_name);
  const json::value root = parse_strict(json_text, r);
  if (!root.is_object()) r.fail("", "the options must be a JSON object");

  OptionsFile out;
  for (const auto& kv : root.get_object()) {
    const std::string key(kv.key());
    const json::value& v = kv.value();
    if (key == "vus") {
      out.vus = static_cast<int>(r.integer(v, key, 0, kMaxVuCount));
    } else if (key == "iterations") {
      out.iterations = static_cast<std::uint64_t>(r.integer(v, key, 0, kMaxIterationCount));
    } else if (key == "duration") {
      out.duration = r.duration(v, key);
    } else if (key == "stages") {
      out.stages = parse_stages(r, v, key, kMaxVuCount);
    } else if (key == "scenarios") {
      out.scenarios = parse_scenarios(r, v);
    } else if (key == "thresholds") {
      out.thresholds = parse_thresholds(r, v);
    } else if (key == "insecureSkipTLSVerify") {
      out.insecure_skip_tls_verify = r.boolean(v, key);
    } else if (key == "tlsVersion") {
      if (v.is_string()) {
        out.tls_version_min = out.tls_version_max = r.string(v, key);
      } else if (v.is_object()) {
        for (const auto& mm : v.get_object()) {
          const std::string path = child(key, mm.key());
          if (mm.key() == "min") out.tls_version_min = r.string(mm.value(), path);
          else if (mm.key() == "max") out.tls_version_max = r.string(mm.value(), path);
          else r.fail(path, "unknown option (tlsVersion has min and max)");
        }
      } else {
        r.fail(key, "must be a version name or {\"min\": ..., \"max\": ...}");
      }
    } else if (key == "tlsCipherSuites") {
      out.tls_cipher_suites = parse_strings(r, v, key);
    } else if (key == "summaryTrendStats") {
      out.summary_trend_stats = parse_strings(r, v, key);
    } else if (key == "executionSegment") {
      const std::string text = r.string(v, key);
      try {
        out.execution_segment = load::parse_execution_segment(text);
      } catch (const std::invalid_argument& e) {
        r.fail(key, e.what());
      }
    } else if (key == "executionSegmentSequence") {
      const std::string text = r.string(v, key);
      try {
        out.execution_segment_sequence = load::parse_execution_segment_sequence(text);
      } catch (const std::invalid_argument& e) {
        r.fail(key, e.what());
      }
    } else if (!is_ignored(key)) {
      r.fail(key, "unknown option");
    }
  }
  return out;
}

OptionsFile load_options_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(path + ": can't open: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::invalid_argument(path + ": can't read: " + std::strerror(errno));
  return parse_options_file(text.str(), path);
}

}  // namespace inferload::app
