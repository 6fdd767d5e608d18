#include "inferload/output/html_report.hpp"

#include <cmath>
#include <string_view>

#include "inferload/output/json_writer.hpp"
#include "inferload/output/k6_format.hpp"

namespace inferload::output {
namespace {

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A JSON value that may sit inside <script>: "</" would end the element.
std::string script_safe(std::string json) {
  std::string out;
  for (std::size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') out += "<\\";
    else out += json[i];
  }
  return out;
}

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  return js_number(std::round(v * 1000) / 1000);
}

double ms_of(double ns) { return ns / 1e6; }

std::string metric_values(const metrics::MetricSummary& m, double seconds) {
  switch (m.type) {
    case metrics::MetricType::counter: {
      const double rate = seconds > 0 ? m.count / seconds : 0;
      return format_value(m.count, m.contains) + " (" + format_value(rate, m.contains) + "/s)";
    }
    case metrics::MetricType::gauge:
      return format_plain(m.value) + " (min " + format_plain(m.min) + ", max " + format_plain(m.max) + ")";
    case metrics::MetricType::rate: {
      const std::uint64_t total = m.nonzero + m.zero;
      return format_rate(total ? static_cast<double>(m.nonzero) / static_cast<double>(total) : 0) + " (" +
             std::to_string(m.nonzero) + " of " + std::to_string(total) + ")";
    }
    case metrics::MetricType::trend: {
      const metrics::Histogram& h = *m.trend;
      auto v = [&](double ns) {
        return m.contains == metrics::ValueKind::time ? format_time_ms(ms_of(ns)) : format_plain(ns);
      };
      return "avg=" + v(h.mean()) + " min=" + v(static_cast<double>(h.min())) + " med=" + v(h.percentile(50)) +
             " max=" + v(static_cast<double>(h.max())) + " p(90)=" + v(h.percentile(90)) + " p(95)=" +
             v(h.percentile(95)) + " p(99)=" + v(h.percentile(99));
    }
  }
  return {};
}

constexpr std::string_view kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2330;background:#f7f8fa}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px} .sub{color:#5b6475;font-size:13px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}
.card{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:12px}
.card h3{font-size:14px;margin:0 0 6px;color:#333} canvas{width:100%;height:240px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border:1px solid #e1e4ea;padding:5px 8px;text-align:left;vertical-align:top} th{background:#eef1f5}
td.ok{color:#17803d} td.bad{color:#c62828;font-weight:600} code{font-size:12px}
)";

// Draws line charts on canvases from DATA, with no library: axes, grid, legend. Each canvas
// says what it drew (data-points), which is how a headless browser can tell the page worked.
constexpr std::string_view kScript = R"JS(
const COLORS=['#3366cc','#dc3912','#ff9900','#109618','#990099','#0099c6','#dd4477','#66aa00'];
function lineChart(id,series,unit){
  const c=document.getElementById(id); if(!c) return;
  const dpr=window.devicePixelRatio||1, W=c.clientWidth||600, H=c.clientHeight||240;
  c.width=W*dpr; c.height=H*dpr; const g=c.getContext('2d'); g.scale(dpr,dpr);
  const xs=DATA.t, L=52, R=10, T=22, B=26;
  let ymax=0, drawn=0;
  for(const s of series) for(const v of s.values) if(v!==null&&v>ymax) ymax=v;
  if(ymax<=0) ymax=1; ymax*=1.1;
  const xmax=xs.length?Math.max(xs[xs.length-1],1):1;
  const X=x=>L+(W-L-R)*x/xmax, Y=y=>T+(H-T-B)*(1-y/ymax);
  g.font='11px system-ui,sans-serif'; g.strokeStyle='#e1e4ea'; g.fillStyle='#5b6475';
  for(let i=0;i<=4;i++){const y=ymax*i/4; g.beginPath(); g.moveTo(L,Y(y)); g.lineTo(W-R,Y(y)); g.stroke();
    g.fillText((y>=100?y.toFixed(0):y.toPrecision(3))+(unit||''),2,Y(y)+4);}
  for(let i=0;i<=5;i++){const x=xmax*i/5; g.fillText(x.toFixed(xmax<10?1:0)+'s',X(x)-8,H-8);}
  series.forEach((s,k)=>{
    g.strokeStyle=COLORS[k%COLORS.length]; g.lineWidth=1.6; g.beginPath(); let pen=false;
    s.values.forEach((v,i)=>{ if(v===null){pen=false;return;} drawn++;
      if(pen) g.lineTo(X(xs[i]),Y(v)); else {g.moveTo(X(xs[i]),Y(v)); pen=true;} });
    g.stroke(); g.fillStyle=COLORS[k%COLORS.length]; g.fillText(s.name,L+8+k*110,12);
  });
  c.dataset.points=drawn; c.dataset.drawn='1';
}
function perSecond(cum){const out=[]; for(let i=0;i<cum.length;i++){
  const dt=i?DATA.t[i]-DATA.t[i-1]:DATA.t[i]; const d=i?cum[i]-cum[i-1]:cum[i];
  out.push(dt>0?d/dt:null);} return out;}
function draw(){
  lineChart('throughput',[{name:'requests/s',values:perSecond(DATA.requests)},{name:'failed/s',values:perSecond(DATA.failed)}],'');
  lineChart('latency',[{name:'p50',values:DATA.p50},{name:'p95',values:DATA.p95},{name:'p99',values:DATA.p99}],'ms');
  lineChart('vus',[{name:'all',values:DATA.vus}].concat(DATA.scenarios.length>1?DATA.scenarios.map(s=>({name:s.name,values:s.vus})):[]),'');
  lineChart('iterations',DATA.scenarios.map(s=>({name:s.name+' it/s',values:perSecond(s.iterations)}))
    .concat(DATA.dropped[DATA.dropped.length-1]>0?[{name:'dropped/s',values:perSecond(DATA.dropped)}]:[]),'');
  if(document.getElementById('lateness')) lineChart('lateness',[{name:'p50',values:DATA.lateness_p50},{name:'p99',values:DATA.lateness_p99}],'ms');
  document.body.dataset.rendered='1';
}
window.addEventListener('load',draw);
)JS";

}  // namespace

void Timeline::add(const load::Progress& p) {
  TimelinePoint pt;
  pt.t = static_cast<double>(p.elapsed) / 1e9;
  pt.requests = p.requests;
  pt.failed = p.failed;
  pt.iterations = p.iterations;
  pt.dropped = p.dropped;
  pt.vus = p.active_vus;
  pt.scenarios = p.scenarios;
  metrics::LiveHistogram::Counts d{}, l{};
  bool any_d = false, any_l = false;
  for (std::size_t i = 0; i < d.size(); ++i) {
    d[i] = p.durations[i] - last_durations_[i];
    l[i] = p.lateness[i] - last_lateness_[i];
    any_d = any_d || d[i] != 0;
    any_l = any_l || l[i] != 0;
  }
  if (any_d) {
    pt.p50 = metrics::LiveHistogram::quantile(d, 0.50) / 1e6;
    pt.p95 = metrics::LiveHistogram::quantile(d, 0.95) / 1e6;
    pt.p99 = metrics::LiveHistogram::quantile(d, 0.99) / 1e6;
  }
  if (any_l) {
    pt.lateness_p50 = metrics::LiveHistogram::quantile(l, 0.50) / 1e6;
    pt.lateness_p99 = metrics::LiveHistogram::quantile(l, 0.99) / 1e6;
  }
  last_durations_ = p.durations;
  last_lateness_ = p.lateness;
  points_.push_back(std::move(pt));
}

std::string render_html_report(const ReportPage& page, const Timeline& timeline, const RunReport& report) {
  const auto& pts = timeline.points();
  auto series = [&](auto get) {
    std::string out = "[";
    for (std::size_t i = 0; i < pts.size(); ++i) {
      if (i) out += ',';
      const double v = get(pts[i]);
      out += v < 0 ? "null" : num(v);
    }
    return out + "]";
  };
  bool open_loop = false;
  for (const auto& p : pts) open_loop = open_loop || p.lateness_p50 >= 0;

  std::string data = "{\"t\":" + series([](const TimelinePoint& p) { return p.t; });
  data += ",\"requests\":" + series([](const TimelinePoint& p) { return static_cast<double>(p.requests); });
  data += ",\"failed\":" + series([](const TimelinePoint& p) { return static_cast<double>(p.failed); });
  data += ",\"dropped\":" + series([](const TimelinePoint& p) { return static_cast<double>(p.dropped); });
  data += ",\"vus\":" + series([](const TimelinePoint& p) { return static_cast<double>(p.vus); });
  data += ",\"p50\":" + series([](const TimelinePoint& p) { return p.p50; });
  data += ",\"p95\":" + series([](const TimelinePoint& p) { return p.p95; });
  data += ",\"p99\":" + series([](const TimelinePoint& p) { return p.p99; });
  data += ",\"lateness_p50\":" + series([](const TimelinePoint& p) { return p.lateness_p50; });
  data += ",\"lateness_p99\":" + series([](const TimelinePoint& p) { return p.lateness_p99; });
  data += ",\"scenarios\":[";
  for (std::size_t s = 0; s < page.scenario_names.size(); ++s) {
    if (s) data += ',';
    auto at = [s](const TimelinePoint& p) { return s < p.scenarios.size() ? p.scenarios[s] : load::ScenarioProgress{}; };
    data += "{\"name\":" + json_quote(page.scenario_names[s]);
    data += ",\"vus\":" + series([&](const TimelinePoint& p) { return static_cast<double>(at(p).active_vus); });
    data += ",\"iterations\":" + series([&](const TimelinePoint& p) { return static_cast<double>(at(p).iterations); });
    data += "}";
  }
  data += "]}";

  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(page.title) +
                  "</title><style>" + std::string(kStyle) + "</style></head><body>\n";
  h += "<h1>" + html_escape(page.title) + "</h1><div class=\"sub\">started " + html_escape(page.started_at) +
       ", ran " + format_plain(std::round(report.test_run_duration_s * 10) / 10) + " s, inferload " +
       html_escape(report.info.version) + ", " + html_escape(report.info.io_backend) + ", " +
       std::to_string(report.info.workers) + " worker(s)</div>\n";
  h += "<h2>Scenarios</h2><table id=\"scenarios\"><tr><th>scenario</th><th>executor</th></tr>";
  for (std::size_t s = 0; s < page.scenario_names.size(); ++s) {
    h += "<tr><td>" + html_escape(page.scenario_names[s]) + "</td><td>" +
         html_escape(s < page.scenario_descriptions.size() ? page.scenario_descriptions[s] : "") + "</td></tr>";
  }
  h += "</table>\n<h2>Over time</h2><div class=\"grid\">";
  h += "<div class=\"card\"><h3>Throughput (requests and failures per second)</h3><canvas id=\"throughput\"></canvas></div>";
  h += "<div class=\"card\"><h3>Request duration p50 / p95 / p99 per second</h3><canvas id=\"latency\"></canvas></div>";
  h += "<div class=\"card\"><h3>Active VUs</h3><canvas id=\"vus\"></canvas></div>";
  h += "<div class=\"card\"><h3>Iterations per second, by scenario</h3><canvas id=\"iterations\"></canvas></div>";
  if (open_loop) {
    h += "<div class=\"card\"><h3>Schedule lateness p50 / p99 per second</h3><canvas id=\"lateness\"></canvas></div>";
  }
  h += "</div>\n";

  const RequestAccounting& rq = report.info.requests;
  h += "<h2>Requests</h2><table id=\"requests\"><tr><th>issued</th><th>ok</th><th>failed</th><th>timed out</th>"
       "<th>interrupted</th></tr><tr><td>" +
       std::to_string(rq.issued) + "</td><td>" + std::to_string(rq.ok) + "</td><td>" + std::to_string(rq.failed) +
       "</td><td>" + std::to_string(rq.timed_out) + "</td><td>" + std::to_string(rq.interrupted) + "</td></tr></table>\n";
  h += "<h2>Errors by kind</h2><table id=\"errors\"><tr><th>count</th><th>error_code</th><th>status</th><th>error</th></tr>";
  for (const auto& f : report.info.failures) {
    h += "<tr><td>" + std::to_string(f.count) + "</td><td>" + std::to_string(f.error_code) + "</td><td>" +
         std::to_string(f.status) + "</td><td>" + html_escape(f.error) + "</td></tr>";
  }
  if (report.info.failures.empty()) h += "<tr><td colspan=\"4\">none</td></tr>";
  h += "</table>\n<h2>Summary</h2><table id=\"summary\"><tr><th>metric</th><th>values</th><th>thresholds</th></tr>";
  std::vector<const metrics::MetricSummary*> ms;
  for (const auto& m : report.metrics) ms.push_back(&m);
  std::sort(ms.begin(), ms.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (const auto* m : ms) {
    std::string th;
    bool failed = false;
    for (const auto& t : m->thresholds) {
      th += (t.failed ? "&#10007; " : "&#10003; ") + html_escape(t.expression) + "<br>";
      failed = failed || t.failed;
    }
    h += "<tr><td><code>" + html_escape(m->name) + "</code></td><td>" + html_escape(metric_values(*m, report.test_run_duration_s)) +
         "</td><td class=\"" + (th.empty() ? "" : failed ? "bad" : "ok") + "\">" + th + "</td></tr>";
  }
  h += "</table>\n<script>const DATA=" + script_safe(data) + ";\n" + std::string(kScript) + "</script>\n</body></html>\n";
  return h;
}

}  // namespace inferload::output
