#include "inferload/output/text_summary.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string_view>

#include "inferload/output/k6_format.hpp"
#include "inferload/output/metric_values.hpp"
#include "inferload/output/summary_order.hpp"
#include "inferload/output/threshold.hpp"

namespace inferload::output {
namespace {

using metrics::MetricSummary;
using metrics::MetricType;

// ANSI codes k6 uses: values cyan, extras faint cyan, dots faint white, passes green, failures
// red, titles bold.
constexpr std::string_view kCyan = "36";
constexpr std::string_view kFaintCyan = "2;36";
constexpr std::string_view kFaintWhite = "2;37";
constexpr std::string_view kWhite = "37";
constexpr std::string_view kGreen = "32";
constexpr std::string_view kRed = "31";
constexpr std::string_view kBold = "1";

class Painter {
 public:
  explicit Painter(bool color) : color_(color) {}
  std::string operator()(std::string_view text, std::string_view codes) const {
    if (!color_) return std::string(text);
    return "\x1b[" + std::string(codes) + "m" + std::string(text) + "\x1b[0m";
  }

 private:
  bool color_;
};

std::string spaces(std::size_t n) { return std::string(n, ' '); }

void sort_by_name(std::vector<const MetricSummary*>& metrics) {
  std::stable_sort(metrics.begin(), metrics.end(),
                   [](const auto* a, const auto* b) { return metric_name_less(a->name, b->name); });
}

// "<name>....: " in faint white, the run of dots filling up to width + 3.
std::string dotted(std::string_view name, std::size_t width, const Painter& paint) {
  return std::string(name) + paint(std::string(width + 3 - display_width(name), '.') + ":", kFaintWhite) + " ";
}

// "http_req_duration{expected_response:true}" → "  { expected_response:true }".
std::string display_name(std::string_view name) {
  const std::size_t brace = name.find('{');
  if (brace == std::string_view::npos) return std::string(name);
  // Like k6, drop the last character whatever it is (normally the closing brace).
  const std::size_t inner_len = name.size() >= brace + 2 ? name.size() - brace - 2 : 0;
  return "  { " + std::string(name.substr(brace + 1, inner_len)) + " }";
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\v\f";
  const std::size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

// One metric line before layout: trend columns, or a main value plus "extras".
struct Row {
  std::string name;
  bool trend = false;
  std::vector<std::string> cols;
  std::string main;
  std::vector<std::string> extras;
};

struct Context {
  const RunReport& report;
  std::vector<TrendStat> stats;
  TimeUnit unit;
  Painter paint;
};

Row metric_row(const MetricSummary& m, const Context& ctx) {
  Row row;
  row.name = m.name;
  const auto kind = m.contains;
  switch (m.type) {
    case MetricType::counter:
      row.main = format_value(to_k6_units(m.count, kind), kind, ctx.unit);
      row.extras = {format_value(counter_rate(m, ctx.report.test_run_duration_s), kind, ctx.unit) + "/s"};
      break;
    case MetricType::gauge:
      row.main = format_value(to_k6_units(m.value, kind), kind, ctx.unit);
      row.extras = {"min=" + format_value(to_k6_units(m.min, kind), kind, ctx.unit),
                    "max=" + format_value(to_k6_units(m.max, kind), kind, ctx.unit)};
      break;
    case MetricType::rate:
      row.main = format_rate(rate_fraction(m));
      row.extras = {std::to_string(m.nonzero) + " out of " + std::to_string(m.nonzero + m.zero)};
      break;
    case MetricType::trend: {
      row.trend = true;
      const auto& h = trend_histogram(m);
      for (const auto& s : ctx.stats) {
        const double v = trend_stat_value(s, h, kind);
        row.cols.push_back(s.kind == TrendStat::Kind::count ? js_number(v) : format_value(v, kind, ctx.unit));
      }
      break;
    }
  }
  return row;
}

// Column widths shared by every line of a block (all categories of a section together).
struct Layout {
  std::size_t name_width = 0;
  std::size_t main_width = 0;
  std::vector<std::size_t> extra_widths;
  std::vector<std::size_t> col_widths;
};

Layout measure(const std::vector<const Row*>& rows) {
  Layout l;
  for (const Row* r : rows) {
    // k6 counts the name twice (name + display name): the source of its very long dot runs.
    l.name_width = std::max(l.name_width, display_width(r->name) + display_width(display_name(r->name)));
    if (r->trend) {
      if (l.col_widths.size() < r->cols.size()) l.col_widths.resize(r->cols.size());
      for (std::size_t i = 0; i < r->cols.size(); ++i) {
        l.col_widths[i] = std::max(l.col_widths[i], display_width(r->cols[i]));
      }
    } else {
      l.main_width = std::max(l.main_width, display_width(r->main));
      if (l.extra_widths.size() < r->extras.size()) l.extra_widths.resize(r->extras.size());
      for (std::size_t i = 0; i < r->extras.size(); ++i) {
        l.extra_widths[i] = std::max(l.extra_widths[i], display_width(r->extras[i]));
      }
    }
  }
  return l;
}

std::string render_row(const Row& r, const Layout& l, const Context& ctx) {
  const std::string shown = display_name(r.name);
  std::string out = "    " + dotted(shown, l.name_width, ctx.paint);
  if (r.trend) {
    for (std::size_t i = 0; i < r.cols.size(); ++i) {
      if (i > 0) out += ' ';
      out += ctx.stats[i].key + "=" + ctx.paint(r.cols[i], kCyan);
      out += spaces(l.col_widths[i] - display_width(r.cols[i]));
    }
    return out;
  }
  out += ctx.paint(r.main, kCyan) + spaces(l.main_width - display_width(r.main));
  for (std::size_t i = 0; i < r.extras.size(); ++i) {
    out += ' ';
    out += ctx.paint(r.extras[i], kFaintCyan);
    // A lone extra (counter rate, "n out of m") is not padded; gauges' min/max are.
    if (r.extras.size() > 1) out += spaces(l.extra_widths[i] - display_width(r.extras[i]));
  }
  return out;
}

// Accumulates lines the way k6 joins them: every line is preceded by a newline, and an empty
// line is just one more newline.
class Text {
 public:
  void line(std::string_view l) {
    s_ += '\n';
    s_ += l;
  }
  void blank() { s_ += '\n'; }
  void title(std::string_view t, const Painter& paint) { line("  █ " + paint(t, kBold) + " \n"); }
  std::string& str() { return s_; }

 private:
  std::string s_;
};

std::string threshold_line_value(const MetricSummary& m, const ThresholdExpr& e, const Context& ctx) {
  const auto kind = m.contains;
  const double duration = ctx.report.test_run_duration_s;
  switch (m.type) {
    case MetricType::counter:
      if (e.agg == ThresholdAgg::rate) return format_value(counter_rate(m, duration), kind, ctx.unit) + "/s";
      return format_value(to_k6_units(m.count, kind), kind, ctx.unit);
    case MetricType::gauge:
      return format_value(to_k6_units(m.value, kind), kind, ctx.unit);
    case MetricType::rate:
      return format_rate(rate_fraction(m));
    case MetricType::trend:
      break;
  }
  return format_value(threshold_value(e, m, duration).value_or(0), kind, ctx.unit);
}

void render_thresholds(Text& text, const Context& ctx) {
  std::vector<const MetricSummary*> with;
  for (const auto& m : ctx.report.metrics) {
    if (m.has_thresholds && !m.thresholds.empty()) with.push_back(&m);
  }
  if (with.empty()) return;
  sort_by_name(with);

  text.title("THRESHOLDS", ctx.paint);
  for (const MetricSummary* m : with) {
    const std::string_view parent = parent_name(m->name);
    const bool nested = parent.size() < m->name.size() &&
                        std::any_of(with.begin(), with.end(), [&](const auto* o) { return o->name == parent; });
    const std::string indent = nested ? "      " : "    ";
    text.line(indent + (nested ? m->name.substr(parent.size()) : m->name));
    for (const auto& t : m->thresholds) {
      const std::string mark = t.failed ? ctx.paint("✗", kRed) : ctx.paint("✓", kGreen);
      std::string value_text;
      try {
        const ThresholdExpr e = parse_threshold(t.expression, m->type);
        value_text = ctx.paint(e.aggregation, kWhite) + "=";
        value_text += ctx.paint(threshold_line_value(*m, e, ctx), kCyan);
      } catch (const std::invalid_argument&) {
        // Expressions are validated when the run starts; this only keeps a summary printable.
        value_text = ctx.paint("n/a", kWhite);
      }
      std::string quoted(1, '\'');
      quoted += trim(t.expression);
      quoted += '\'';
      text.line(indent + mark + " " + ctx.paint(quoted, kWhite) + " " + value_text);
    }
    text.blank();
  }
  text.blank();
}

void render_checks(Text& text, const Context& ctx) {
  std::uint64_t total = 0;
  std::uint64_t passed = 0;
  const auto it = std::find_if(ctx.report.metrics.begin(), ctx.report.metrics.end(),
                               [](const auto& m) { return m.name == "checks"; });
  if (it != ctx.report.metrics.end() && it->type == MetricType::rate) {
    total = it->nonzero + it->zero;
    passed = it->nonzero;
  } else {
    for (const auto& c : ctx.report.checks) {
      total += c.passes + c.fails;
      passed += c.passes;
    }
  }
  if (total == 0) return;

  const double duration = ctx.report.test_run_duration_s;
  const double t = static_cast<double>(total);
  const std::string out_of = " out of " + std::to_string(total);
  const Row total_row{"checks_total", false, {}, format_plain(t),
                      {format_plain(duration > 0 ? t / duration : 0) + "/s"}};
  const Row ok_row{"checks_succeeded", false, {}, format_rate(static_cast<double>(passed) / t),
                   {std::to_string(passed) + out_of}};
  const Row failed_row{"checks_failed", false, {}, format_rate(static_cast<double>(total - passed) / t),
                       {std::to_string(total - passed) + out_of}};
  const std::vector<const Row*> rows = {&total_row, &ok_row, &failed_row};
  const Layout layout = measure(rows);
  for (const Row* r : rows) text.line(render_row(*r, layout, ctx));
  text.blank();

  for (const auto& c : ctx.report.checks) {
    if (c.fails == 0) {
      text.line("    " + ctx.paint("✓ " + c.name, kGreen));
      continue;
    }
    const auto pct = static_cast<std::uint64_t>(
        std::floor(100.0 * static_cast<double>(c.passes) / static_cast<double>(c.passes + c.fails)));
    text.line("    " + ctx.paint("✗ " + c.name, kRed));
    text.line("      " + ctx.paint("↳  " + std::to_string(pct) + "% — ✓ " + std::to_string(c.passes) +
                                       " / ✗ " + std::to_string(c.fails),
                                   kRed));
  }
  text.blank();
}

void render_metrics(Text& text, const Context& ctx) {
  // Keyed by category, so iteration follows the display order the enum is declared in.
  std::map<SummaryCategory, std::vector<Row>> by_category;
  std::vector<const MetricSummary*> shown;
  for (const auto& m : ctx.report.metrics) {
    if (is_reported(m) && summary_category(m.name) != SummaryCategory::hidden) shown.push_back(&m);
  }
  sort_by_name(shown);
  for (const MetricSummary* m : shown) by_category[summary_category(m->name)].push_back(metric_row(*m, ctx));

  std::vector<const Row*> all;
  for (const auto& [cat, rows] : by_category) {
    for (const Row& r : rows) all.push_back(&r);
  }
  const Layout layout = measure(all);

  for (const auto& [cat, rows] : by_category) {
    text.line("    " + ctx.paint(summary_category_title(cat), kBold));
    for (const Row& r : rows) text.line(render_row(r, layout, ctx));
    text.blank();
  }
}

// One line per kind, "<count> error_code=<code> <error>", under one label with the counts and
// codes right-aligned; a status below 400 has no k6 code, so its code column stays blank. An
// empty label continues the line above.
void add_failure_lines(std::vector<std::pair<std::string, std::string>>& lines,
                       const std::vector<FailureSummary>& failures, const Context& ctx) {
  std::size_t count_width = 0;
  std::size_t code_width = 0;
  for (const auto& f : failures) {
    count_width = std::max(count_width, std::to_string(f.count).size());
    if (f.error_code != 0) code_width = std::max(code_width, std::to_string(f.error_code).size());
  }
  const std::string_view code_key = "error_code=";
  for (const auto& f : failures) {
    const std::string count = std::to_string(f.count);
    std::string line = spaces(count_width - count.size()) + ctx.paint(count, kCyan) + ' ';
    if (code_width > 0) {
      if (f.error_code != 0) {
        const std::string code = std::to_string(f.error_code);
        line += ctx.paint(std::string(code_key) + code, kFaintCyan) + spaces(code_width - code.size()) + ' ';
      } else {
        line += spaces(code_key.size() + code_width + 1);
      }
    }
    line += f.error;
    lines.emplace_back(&f == &failures.front() ? "failures_by_kind" : "", std::move(line));
  }
}

std::string seconds(double s, const Context& ctx) { return format_time_ms(s * 1000, ctx.unit); }

// "1125 models ready in 34.2s (to ready: p50=2.1s p95=5s max=8s), 2250 scheduler calls, ..."
std::string control_line(const ControlPhaseInfo& c, bool setup, const Context& ctx) {
  std::string line = ctx.paint(std::to_string(c.models_done), kCyan) + " of " + std::to_string(c.models) +
                     (setup ? " models ready" : " models unloaded") + " in " + seconds(c.duration_s, ctx);
  if (setup && c.models_done > 0) {
    line += " (to ready: p50=" + seconds(c.ready_p50_s, ctx) + " p95=" + seconds(c.ready_p95_s, ctx) +
            " max=" + seconds(c.ready_max_s, ctx) + ")";
  }
  if (c.pipelines_done > 0) line += ", " + std::to_string(c.pipelines_done) + " pipelines";
  line += ", " + std::to_string(c.rpcs) + " scheduler calls";
  if (setup && c.probes > 0) line += ", " + std::to_string(c.probes) + " ready probes";
  if (setup && c.warmup_requests > 0) {
    line += ", " + std::to_string(c.warmup_requests) + " warm-up requests (" + std::to_string(c.warmup_failed) +
            " not 200)";
  }
  if (c.failed > 0) line += ", " + ctx.paint(std::to_string(c.failed) + " failed", kRed);
  if (c.outcome != "completed") line += ", " + ctx.paint(c.outcome, kRed);
  if (!c.error.empty()) line += ": " + c.error;
  return line;
}

void render_inferload(Text& text, const Context& ctx) {
  const RunInfo& info = ctx.report.info;
  const auto& rq = info.requests;
  std::vector<std::pair<std::string, std::string>> lines;
  lines.reserve(32);

  if (!info.merged_from.empty()) {
    std::string files;
    for (const std::string& f : info.merged_from) files.append(files.empty() ? "" : ", ").append(f);
    lines.emplace_back("merged_from", std::to_string(info.merged_from.size()) + " exports: " + files);
  }
  std::string backend = info.io_backend.empty() ? "unknown" : info.io_backend;
  if (!info.io_detail.empty()) backend += " (" + info.io_detail + ")";
  lines.emplace_back("io_backend", backend);
  lines.emplace_back("workers", std::to_string(info.workers));

  std::string cpu = format_time_ms(info.driver_cpu_seconds * 1000, ctx.unit);
  if (info.driver_cpu_seconds > 0) {
    const double per_cpu_second = static_cast<double>(rq.issued) / info.driver_cpu_seconds;
    const std::string per_cpu = js_number(std::round(per_cpu_second * 10) / 10);
    cpu += ' ';
    cpu += ctx.paint(per_cpu + " requests per CPU-second", kFaintCyan);
  }
  lines.emplace_back("driver_cpu", cpu);

  auto fates = [](const RequestAccounting& a) {
    return std::to_string(a.issued) + " issued, " + std::to_string(a.ok) + " ok, " + std::to_string(a.failed) +
           " failed, " + std::to_string(a.timed_out) + " timed out, " + std::to_string(a.interrupted) + " interrupted";
  };
  lines.emplace_back("requests", fates(rq));
  if (info.scheduler_requests.issued > 0) lines.emplace_back("scheduler_requests", fates(info.scheduler_requests));
  if (info.iterations_interrupted > 0) {
    lines.emplace_back("iterations_interrupted", std::to_string(info.iterations_interrupted));
  }
  if (info.tls_full_handshakes + info.tls_resumed_handshakes > 0) {
    lines.emplace_back("tls_handshakes", std::to_string(info.tls_full_handshakes) + " full, " +
                                             std::to_string(info.tls_resumed_handshakes) + " resumed");
  }
  if (info.grpc) {
    lines.emplace_back("grpc_connections", info.grpc_connections + ", " + std::to_string(info.grpc_connections_opened) +
                                               " opened");
    std::string statuses;
    for (const auto& [name, count] : info.grpc_statuses) {
      if (!statuses.empty()) statuses += ", ";
      statuses += ctx.paint(std::to_string(count), kCyan) + " " + name;
    }
    lines.emplace_back("grpc_statuses", statuses.empty() ? "none" : statuses);
  }
  if (info.kafka) {
    std::string kafka = info.kafka_mode + " mode, bootstrap " + info.kafka_bootstrap + ", ";
    kafka += ctx.paint(std::to_string(info.kafka_late_replies), kCyan) + " late replies, ";
    kafka += ctx.paint(std::to_string(info.kafka_foreign_records), kCyan) + " foreign records";
    lines.emplace_back("kafka", kafka);
  }
  if (!info.sample_outputs.empty()) {
    std::string outs;
    for (const std::string& o : info.sample_outputs) outs += (outs.empty() ? "" : ", ") + o;
    std::string line = std::to_string(info.sample_rows_written) + " rows to " + outs;
    if (info.sample_rows_lost > 0) {
      line += ", " + ctx.paint(std::to_string(info.sample_rows_lost) + " lost (the output thread fell behind)", kRed);
    }
    for (const std::string& e : info.sample_errors) line += "; " + ctx.paint(e, kRed);
    lines.emplace_back("samples", line);
  }
  add_failure_lines(lines, info.failures, ctx);
  if (info.setup.ran) lines.emplace_back("setup", control_line(info.setup, true, ctx));
  if (info.teardown.ran) lines.emplace_back("teardown", control_line(info.teardown, false, ctx));
  for (const std::string& why : info.driver_overload) {
    lines.emplace_back("driver_overloaded", ctx.paint("WARNING: " + why, kRed));
  }

  for (const char* name : {"http_req_duration", "grpc_req_duration", "kafka_req_duration"}) {
    const auto trend = std::find_if(ctx.report.metrics.begin(), ctx.report.metrics.end(), [&](const auto& m) {
      return m.name == name && m.type == MetricType::trend && has_samples(m);
    });
    if (trend == ctx.report.metrics.end()) continue;
    std::string tail;
    for (std::string_view key : {"p(99)", "p(99.9)", "max"}) {
      const double v = trend_stat_value(parse_trend_stat(key), trend_histogram(*trend), trend->contains);
      if (!tail.empty()) tail += ' ';
      tail += std::string(key) + "=" + ctx.paint(format_value(v, trend->contains, ctx.unit), kCyan);
    }
    lines.emplace_back(name, tail);
  }

  std::size_t width = 0;
  for (const auto& [label, value] : lines) width = std::max(width, label.size());
  text.title("INFERLOAD", ctx.paint);
  for (const auto& [label, value] : lines) {
    // dotted() is width + 5 wide: the label, its dots, ": ".
    text.line("    " + (label.empty() ? spaces(width + 5) : dotted(label, width, ctx.paint)) + value);
  }
  text.blank();
  text.blank();
}

}  // namespace

std::string render_text_summary(const RunReport& report, const TextSummaryOptions& options) {
  const Context ctx{report, parse_trend_stats(options.trend_stats), parse_time_unit(options.time_unit),
                    Painter(options.color)};
  Text text;
  render_thresholds(text, ctx);

  text.title("TOTAL RESULTS", ctx.paint);
  render_checks(text, ctx);
  render_metrics(text, ctx);
  text.blank();

  if (options.inferload_section) render_inferload(text, ctx);
  return "\n" + text.str() + "\n\n";
}

}  // namespace inferload::output
