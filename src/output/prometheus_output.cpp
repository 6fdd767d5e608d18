#include "inferload/output/prometheus.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <mutex>

#include "inferload/grpc/status.hpp"
#include "inferload/kafka/request.hpp"
#include "inferload/net/failure.hpp"
#include "inferload/output/metrics_server.hpp"
#include "inferload/output/sample_outputs.hpp"

namespace inferload::output {
namespace {

using metrics::SampleKind;
using metrics::SampleRecord;
using runtime::Nanos;

constexpr const char* kProtocols[] = {"rest", "grpc", "kafka"};
constexpr std::size_t kProtocolCount = std::size(kProtocols);
constexpr std::size_t kRestClasses = 6;  // 1xx .. 5xx, error; the gRPC codes follow
constexpr std::size_t kKafkaClasses = kRestClasses + grpc::kMaxStatusCode + 1;  // then Kafka's fates

static_assert(PrometheusMetrics::kStatusClasses == kKafkaClasses + static_cast<std::size_t>(kafka::Fate::produce_failed) + 1);

std::size_t protocol_of(SampleKind k) noexcept {
  return k == SampleKind::grpc ? 1 : k == SampleKind::kafka ? 2 : 0;
}

std::string seconds(Nanos ns) { return go_float(static_cast<double>(ns) / 1e9); }
std::string seconds(unsigned __int128 ns) { return go_float(static_cast<double>(ns) / 1e9); }

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// name{labels} value, with `labels` already joined ("" for none).
void sample(std::string& out, const char* name, const char* suffix, const std::string& labels, const std::string& value) {
  out.append(name).append(suffix);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(value).append("\n");
}

std::string with(const std::string& labels, const char* name, const std::string& value) {
  std::string l = labels;
  if (!l.empty()) l += ',';
  return l.append(name).append("=\"").append(value).append("\"");
}

template <std::size_t N>
void bucket(std::uint64_t (&buckets)[N], const Nanos (&bounds)[N], Nanos v) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (v <= bounds[i]) {
      ++buckets[i];
      return;
    }
  }
}

template <std::size_t N>
void histogram(std::string& out, const char* name, const std::string& labels, const std::uint64_t (&buckets)[N],
               const Nanos (&bounds)[N], std::uint64_t count, unsigned __int128 sum_ns) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < N; ++i) {
    cumulative += buckets[i];
    std::string v;
    append_uint(v, cumulative);
    sample(out, name, "_bucket", with(labels, "le", seconds(bounds[i])), v);
  }
  std::string c;
  append_uint(c, count);
  sample(out, name, "_bucket", with(labels, "le", "+Inf"), c);
  sample(out, name, "_sum", labels, seconds(sum_ns));
  sample(out, name, "_count", labels, c);
}

// A summary: the quantiles computed here, over the whole run so far, which PromQL cannot derive
// from the fixed buckets to better than a bucket's width.
void summary(std::string& out, const char* name, const std::string& labels, const metrics::Histogram& h,
             unsigned __int128 sum_ns) {
  for (double q : PrometheusMetrics::kQuantiles) {
    sample(out, name, "", with(labels, "quantile", go_float(q)), seconds(static_cast<Nanos>(h.percentile(q * 100))));
  }
  sample(out, name, "_sum", labels, seconds(sum_ns));
  std::string c;
  append_uint(c, h.count());
  sample(out, name, "_count", labels, c);
}

}  // namespace

std::string escape_label_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

const char* PrometheusMetrics::status_class_name(std::size_t index) noexcept {
  static constexpr const char* kRest[kRestClasses] = {"1xx", "2xx", "3xx", "4xx", "5xx", "error"};
  if (index < kRestClasses) return kRest[index];
  if (index >= kKafkaClasses) return kafka::to_string(static_cast<kafka::Fate>(index - kKafkaClasses));
  return grpc::to_string(static_cast<grpc::StatusCode>(index - kRestClasses));
}

std::size_t PrometheusMetrics::status_class(const SampleRecord& r) noexcept {
  if (r.kind == SampleKind::grpc) {
    // Transport failures already carry the status grpc-go reports for them (UNAVAILABLE,
    // DEADLINE_EXCEEDED, ...), so the code alone is the class.
    return r.status <= grpc::kMaxStatusCode ? kRestClasses + r.status : kRestClasses - 1;
  }
  if (r.kind == SampleKind::kafka) {
    // Its fate is its outcome: the reply, the error record, the deadline or the refused produce.
    return r.failure <= static_cast<std::uint8_t>(kafka::Fate::produce_failed) ? kKafkaClasses + r.failure
                                                                                 : kRestClasses - 1;
  }
  // A status with a failure is a response cut short (a timeout in the body, a reset): not a result.
  if (r.failure != static_cast<std::uint8_t>(net::Failure::none) || r.status < 100 || r.status > 599) {
    return kRestClasses - 1;
  }
  return static_cast<std::size_t>(r.status / 100 - 1);
}

PrometheusMetrics::PrometheusMetrics() { set_labels({}, {}); }

void PrometheusMetrics::set_labels(std::vector<std::string> scenarios, std::vector<std::string> model_types) {
  // A record that refers past the names (none should) still counts, under "default" or "unknown".
  if (scenarios.empty()) scenarios.emplace_back("default");
  model_types.emplace_back("unknown");
  scenario_names_.clear();
  for (const auto& s : scenarios) scenario_names_.push_back(escape_label_value(s));
  type_names_.clear();
  for (const auto& t : model_types) type_names_.push_back(escape_label_value(t));
  // The labels come before the first record (SampleSink::open): nothing is counted yet.
  scenarios_ = std::vector<Scenario>(scenario_names_.size());
  requests_ = std::vector<Requests>(scenario_names_.size() * kProtocolCount * type_names_.size());
}

std::size_t PrometheusMetrics::scenario_index(std::uint8_t s) const noexcept {
  return s < scenario_names_.size() ? s : 0;
}

std::size_t PrometheusMetrics::type_index(std::uint32_t t) const noexcept {
  return t < type_names_.size() - 1 ? t : type_names_.size() - 1;
}

PrometheusMetrics::Requests& PrometheusMetrics::requests(std::size_t scenario, std::size_t protocol, std::size_t type) {
  return requests_[(scenario * kProtocolCount + protocol) * type_names_.size() + type];
}

std::string PrometheusMetrics::labels(std::size_t scenario, std::size_t protocol, std::size_t type) const {
  return "scenario=\"" + scenario_names_[scenario] + "\",protocol=\"" + kProtocols[protocol] + "\",model_type=\"" +
         type_names_[type] + "\"";
}

void PrometheusMetrics::add(const SampleRecord& r) {
  const std::size_t s = scenario_index(r.scenario);
  switch (r.kind) {
    case SampleKind::http:
    case SampleKind::grpc:
    case SampleKind::kafka: {
      Requests& q = requests(s, protocol_of(r.kind), type_index(r.target_type));
      ++q.by_class[status_class(r)];
      const Nanos d = std::max<Nanos>(r.duration, 0);
      bucket(q.buckets, kDurationBuckets, d);
      ++q.count;
      q.sum_ns += static_cast<unsigned __int128>(d);
      if (!q.latency) q.latency = std::make_unique<metrics::Histogram>();
      q.latency->record(d);
      break;
    }
    case SampleKind::iteration: {
      Scenario& sc = scenarios_[s];
      ++sc.iterations;
      if (r.intended >= 0) {
        bucket(sc.lateness_buckets, kLatenessBuckets, r.intended);
        ++sc.lateness_count;
        sc.lateness_sum_ns += static_cast<unsigned __int128>(r.intended);
        if (!sc.lateness) sc.lateness = std::make_unique<metrics::Histogram>();
        sc.lateness->record(r.intended);
      }
      break;
    }
    case SampleKind::dropped: ++scenarios_[s].dropped; break;
    case SampleKind::data:
    case SampleKind::scheduler:
    // Setup and teardown belong to no scenario, and the summary leaves them out too.
    case SampleKind::phase_http:
    case SampleKind::phase_grpc:
    case SampleKind::phase_data: break;
  }
}

void PrometheusMetrics::render(std::string& out) const {
  const std::size_t types = type_names_.size();
  std::string value;
  auto count_text = [&](std::uint64_t v) -> const std::string& {
    value.clear();
    append_uint(value, v);
    return value;
  };

  family(out, "inferload_requests_total", "counter",
         "Requests that ended (REST exchanges, gRPC calls, Kafka requests; not those cut off by a hard stop), by "
         "status class.");
  for (std::size_t s = 0; s < scenario_names_.size(); ++s) {
    for (std::size_t p = 0; p < kProtocolCount; ++p) {
      for (std::size_t t = 0; t < types; ++t) {
        const Requests& q = requests_[(s * kProtocolCount + p) * types + t];
        if (q.count == 0) continue;
        const std::string l = labels(s, p, t);
        for (std::size_t c = 0; c < kStatusClasses; ++c) {
          if (q.by_class[c] == 0) continue;
          sample(out, "inferload_requests_total", "", with(l, "status_class", status_class_name(c)),
                 count_text(q.by_class[c]));
        }
      }
    }
  }

  family(out, "inferload_request_duration_seconds", "histogram",
         "Request duration (k6's http_req_duration, grpc_req_duration, inferload's kafka_req_duration), whatever "
         "the status.");
  for (std::size_t s = 0; s < scenario_names_.size(); ++s) {
    for (std::size_t p = 0; p < kProtocolCount; ++p) {
      for (std::size_t t = 0; t < types; ++t) {
        const Requests& q = requests_[(s * kProtocolCount + p) * types + t];
        if (q.count > 0) {
          histogram(out, "inferload_request_duration_seconds", labels(s, p, t), q.buckets, kDurationBuckets, q.count,
                    q.sum_ns);
        }
      }
    }
  }

  family(out, "inferload_request_duration_run_seconds", "summary",
         "Request duration quantiles over the whole run so far (3 significant digits).");
  for (std::size_t s = 0; s < scenario_names_.size(); ++s) {
    for (std::size_t p = 0; p < kProtocolCount; ++p) {
      for (std::size_t t = 0; t < types; ++t) {
        const Requests& q = requests_[(s * kProtocolCount + p) * types + t];
        if (q.latency) summary(out, "inferload_request_duration_run_seconds", labels(s, p, t), *q.latency, q.sum_ns);
      }
    }
  }

  family(out, "inferload_iterations_total", "counter", "Iterations completed.");
  for (std::size_t s = 0; s < scenario_names_.size(); ++s) {
    sample(out, "inferload_iterations_total", "", "scenario=\"" + scenario_names_[s] + "\"",
           count_text(scenarios_[s].iterations));
  }
  family(out, "inferload_dropped_iterations_total", "counter",
         "Scheduled iterations that no VU could start (arrival-rate executors).");
  for (std::size_t s = 0; s < scenario_names_.size(); ++s) {
    sample(out, "inferload_dropped_iterations_total", "", "scenario=\"" + scenario_names_[s] + "\"",
           count_text(scenarios_[s].dropped));
  }

  family(out, "inferload_schedule_lateness_seconds", "histogram",
         "How late scheduled iterations started after their intended start (arrival-rate executors).");
  for (std::size_t s = 0; s < scenario_names_.size(); ++s) {
    const Scenario& sc = scenarios_[s];
    if (sc.lateness_count > 0) {
      histogram(out, "inferload_schedule_lateness_seconds", "scenario=\"" + scenario_names_[s] + "\"",
                sc.lateness_buckets, kLatenessBuckets, sc.lateness_count, sc.lateness_sum_ns);
    }
  }
  family(out, "inferload_schedule_lateness_run_seconds", "summary",
         "Schedule lateness quantiles over the whole run so far (3 significant digits).");
  for (std::size_t s = 0; s < scenario_names_.size(); ++s) {
    const Scenario& sc = scenarios_[s];
    if (sc.lateness) {
      summary(out, "inferload_schedule_lateness_run_seconds", "scenario=\"" + scenario_names_[s] + "\"",
              *sc.lateness, sc.lateness_sum_ns);
    }
  }

  family(out, "inferload_vus", "gauge", "Active VUs, as k6's vus (sampled each second).");
  sample(out, "inferload_vus", "", "", go_float(vus_));
  family(out, "inferload_vus_max", "gauge", "Allocated VUs, as k6's vus_max (sampled each second).");
  sample(out, "inferload_vus_max", "", "", go_float(vus_max_));
  family(out, "inferload_sample_rows_lost_total", "counter",
         "Sample rows lost because a worker's sample ring was full (--sample-buffer): their requests "
         "and iterations are missing from these metrics too.");
  sample(out, "inferload_sample_rows_lost_total", "", "", count_text(rows_lost_));
}

namespace {

// The metric of the first row of a record of each kind, by which the sink counts the record once
// among its rows; null for the kinds PrometheusMetrics::add leaves out.
std::array<const MetricInfo*, metrics::kSampleKinds> first_rows() noexcept {
  std::array<const MetricInfo*, metrics::kSampleKinds> rows{};
  for (std::size_t k = 0; k < rows.size(); ++k) {
    switch (static_cast<SampleKind>(k)) {
      case SampleKind::http: rows[k] = SampleExpander::metric("http_reqs"); break;
      case SampleKind::grpc: rows[k] = SampleExpander::metric("grpc_req_duration"); break;
      case SampleKind::kafka: rows[k] = SampleExpander::metric("kafka_reqs"); break;
      case SampleKind::iteration: rows[k] = SampleExpander::metric("iterations"); break;
      case SampleKind::dropped: rows[k] = SampleExpander::metric("dropped_iterations"); break;
      case SampleKind::data:
      case SampleKind::scheduler:
      case SampleKind::phase_http:
      case SampleKind::phase_grpc:
      case SampleKind::phase_data: break;
    }
  }
  return rows;
}

class PrometheusOutput final : public SampleSink {
 public:
  explicit PrometheusOutput(const std::string& address)
      : server_(address, [this](std::string& out) {
          std::lock_guard lock(m_);
          metrics_.render(out);
        }) {
    server_.start();
  }

  // After the run, the numbers stay up until a scraper has taken their final state (see
  // make_prometheus_output): a scrape of the last seconds would otherwise be lost with the process.
  ~PrometheusOutput() override {
    if (closed_at_ != 0 && !hurry_) {
      const Nanos interval = server_.scrape_interval();
      if (interval > 0) {
        const Nanos wait = std::min(interval + runtime::kSecond, 30 * runtime::kSecond);
        server_.wait_answered(final_after_ + 1, closed_at_ + wait);
      }
    }
    server_.stop();
  }

  const std::string& url() const noexcept { return server_.url(); }

  void open(const SampleContext& context) override {
    std::vector<std::string> scenarios;
    for (const auto& s : context.scenarios) scenarios.push_back(s.name);
    std::lock_guard lock(m_);
    metrics_.set_labels(std::move(scenarios), context.model_types);
  }

  void write(const SampleRow& row) override {
    if (row.record == nullptr) {
      if (row.metric == vus_) {
        std::lock_guard lock(m_);
        metrics_.set_vus(row.value);
      } else if (row.metric == vus_max_) {
        std::lock_guard lock(m_);
        metrics_.set_vus_max(row.value);
      }
      return;
    }
    // A record makes several rows; its first one of a fixed metric counts it once.
    if (row.metric != first_row_[static_cast<std::size_t>(row.record->kind)]) return;
    std::lock_guard lock(m_);
    metrics_.add(*row.record);
  }

  void rows_lost(std::uint64_t rows) override {
    std::lock_guard lock(m_);
    metrics_.set_rows_lost(rows);
  }

  void tick(Nanos) override {}
  void hurry() override { hurry_ = true; }

  std::string close() override {
    // Every record is in: any scrape that begins from now on shows the final numbers.
    final_after_ = server_.scrapes_begun();
    closed_at_ = runtime::now_ns();
    return "";
  }

 private:
  std::mutex m_;  // between the output thread (rows) and the server's (scrapes); never a worker's
  PrometheusMetrics metrics_;
  const MetricInfo* vus_ = SampleExpander::metric("vus");
  const MetricInfo* vus_max_ = SampleExpander::metric("vus_max");
  const std::array<const MetricInfo*, metrics::kSampleKinds> first_row_ = first_rows();
  Nanos closed_at_ = 0;
  std::uint64_t final_after_ = 0;
  bool hurry_ = false;  // stopped by a signal: no wait for a last scrape
  MetricsServer server_;  // last: its thread renders the members above
};

}  // namespace

std::unique_ptr<SampleSink> make_prometheus_output(const std::string& address, std::string& url) {
  auto out = std::make_unique<PrometheusOutput>(address);
  url = out->url();
  return out;
}

}  // namespace inferload::output
