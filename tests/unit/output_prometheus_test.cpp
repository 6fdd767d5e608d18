// --prometheus: the exposition text of an aggregated state, line for line; the status classes
// and label values; and the sink end to end through the sample pipeline and its HTTP endpoint.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "inferload/kafka/request.hpp"
#include "inferload/metrics/sample_ring.hpp"
#include "inferload/net/failure.hpp"
#include "inferload/output/metrics_server.hpp"
#include "inferload/output/prometheus.hpp"
#include "inferload/output/sample_collector.hpp"
#include "inferload/output/sample_rows.hpp"

namespace inferload {
namespace {

using metrics::SampleKind;
using metrics::SampleRecord;
using output::PrometheusMetrics;
using runtime::Nanos;

SampleRecord rest(std::uint16_t status, Nanos duration, std::uint32_t type = 0) {
  SampleRecord r;
  r.kind = SampleKind::http;
  r.status = status;
  r.duration = duration;
  r.target_type = type;
  return r;
}

SampleRecord grpc_call(std::uint16_t code, Nanos duration, std::uint32_t type = 0) {
  SampleRecord r = rest(code, duration, type);
  r.kind = SampleKind::grpc;
  return r;
}

SampleRecord kafka_request(kafka::Fate fate, Nanos duration, std::uint32_t type = 0) {
  SampleRecord r;
  r.kind = SampleKind::kafka;
  r.failure = static_cast<std::uint8_t>(fate);
  r.duration = duration;
  r.sending = fate == kafka::Fate::timed_out ? -1 : duration / 2;
  r.target_type = type;
  return r;
}

SampleRecord iteration(Nanos lateness) {
  SampleRecord r;
  r.kind = SampleKind::iteration;
  r.duration = 1'000'000;
  r.intended = lateness;
  return r;
}

// The whole text for: two REST requests (200 and 503, both exactly on the 250 us bound, which
// `le` includes), one gRPC call that ended UNAVAILABLE after 1.5 s, two iterations (one
// scheduled, exactly 10 us late), one drop, and the gauges.
TEST(PrometheusMetrics, RendersASmallStateExactly) {
  PrometheusMetrics m;
  m.set_labels({"default"}, {"iris"});
  m.add(rest(200, 250'000));
  m.add(rest(503, 250'000));
  m.add(grpc_call(14, 1'500'000'000));
  m.add(iteration(10'000));
  m.add(iteration(-1));
  SampleRecord drop;
  drop.kind = SampleKind::dropped;
  m.add(drop);
  m.set_vus(3);
  m.set_vus_max(5);
  m.set_rows_lost(7);
  std::string text;
  m.render(text);

  const std::string rest_labels = R"(scenario="default",protocol="rest",model_type="iris")";
  const std::string grpc_labels = R"(scenario="default",protocol="grpc",model_type="iris")";
  const char* const bounds[] = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
                                "0.025",  "0.05",    "0.1",    "0.25",  "0.5",    "1",     "2.5",
                                "5",      "10",      "30",     "60"};
  std::string expected =
      "# HELP inferload_requests_total Requests that ended (REST exchanges, gRPC calls, Kafka requests; not those "
      "cut off by a hard stop), by status class.\n"
      "# TYPE inferload_requests_total counter\n"
      "inferload_requests_total{" + rest_labels + ",status_class=\"2xx\"} 1\n"
      "inferload_requests_total{" + rest_labels + ",status_class=\"5xx\"} 1\n"
      "inferload_requests_total{" + grpc_labels + ",status_class=\"UNAVAILABLE\"} 1\n"
      "# HELP inferload_request_duration_seconds Request duration (k6's http_req_duration, grpc_req_duration, "
      "inferload's kafka_req_duration), whatever the status.\n"
      "# TYPE inferload_request_duration_seconds histogram\n";
  for (std::size_t i = 0; i < std::size(bounds); ++i) {
    expected += "inferload_request_duration_seconds_bucket{" + rest_labels + ",le=\"" + bounds[i] + "\"} " +
                (i == 0 ? "0" : "2") + "\n";
  }
  expected += "inferload_request_duration_seconds_bucket{" + rest_labels + ",le=\"+Inf\"} 2\n"
              "inferload_request_duration_seconds_sum{" + rest_labels + "} 0.0005\n"
              "inferload_request_duration_seconds_count{" + rest_labels + "} 2\n";
  for (std::size_t i = 0; i < std::size(bounds); ++i) {
    // 1.5 s: above the 1 s bound (index 12), within 2.5 s.
    expected += "inferload_request_duration_seconds_bucket{" + grpc_labels + ",le=\"" + bounds[i] + "\"} " +
                (i <= 12 ? "0" : "1") + "\n";
  }
  expected += "inferload_request_duration_seconds_bucket{" + grpc_labels + ",le=\"+Inf\"} 1\n"
              "inferload_request_duration_seconds_sum{" + grpc_labels + "} 1.5\n"
              "inferload_request_duration_seconds_count{" + grpc_labels + "} 1\n"
              "# HELP inferload_request_duration_run_seconds Request duration quantiles over the whole run so far "
              "(3 significant digits).\n"
              "# TYPE inferload_request_duration_run_seconds summary\n";
  for (const char* q : {"0.5", "0.9", "0.95", "0.99"}) {
    expected += "inferload_request_duration_run_seconds{" + rest_labels + ",quantile=\"" + q + "\"} 0.00025\n";
  }
  expected += "inferload_request_duration_run_seconds_sum{" + rest_labels + "} 0.0005\n"
              "inferload_request_duration_run_seconds_count{" + rest_labels + "} 2\n";
  for (const char* q : {"0.5", "0.9", "0.95", "0.99"}) {
    expected += "inferload_request_duration_run_seconds{" + grpc_labels + ",quantile=\"" + q + "\"} 1.5\n";
  }
  expected += "inferload_request_duration_run_seconds_sum{" + grpc_labels + "} 1.5\n"
              "inferload_request_duration_run_seconds_count{" + grpc_labels + "} 1\n"
              "# HELP inferload_iterations_total Iterations completed.\n"
              "# TYPE inferload_iterations_total counter\n"
              "inferload_iterations_total{scenario=\"default\"} 2\n"
              "# HELP inferload_dropped_iterations_total Scheduled iterations that no VU could start (arrival-rate "
              "executors).\n"
              "# TYPE inferload_dropped_iterations_total counter\n"
              "inferload_dropped_iterations_total{scenario=\"default\"} 1\n"
              "# HELP inferload_schedule_lateness_seconds How late scheduled iterations started after their intended "
              "start (arrival-rate executors).\n"
              "# TYPE inferload_schedule_lateness_seconds histogram\n";
  const char* const lateness_bounds[] = {"1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005",
                                         "0.001", "0.0025",  "0.005", "0.01",   "0.025",   "0.05",
                                         "0.1",   "0.25",    "0.5",   "1"};
  for (const char* b : lateness_bounds) {
    expected += std::string("inferload_schedule_lateness_seconds_bucket{scenario=\"default\",le=\"") + b + "\"} 1\n";
  }
  expected += "inferload_schedule_lateness_seconds_bucket{scenario=\"default\",le=\"+Inf\"} 1\n"
              "inferload_schedule_lateness_seconds_sum{scenario=\"default\"} 1e-05\n"
              "inferload_schedule_lateness_seconds_count{scenario=\"default\"} 1\n"
              "# HELP inferload_schedule_lateness_run_seconds Schedule lateness quantiles over the whole run so far "
              "(3 significant digits).\n"
              "# TYPE inferload_schedule_lateness_run_seconds summary\n";
  for (const char* q : {"0.5", "0.9", "0.95", "0.99"}) {
    expected += std::string("inferload_schedule_lateness_run_seconds{scenario=\"default\",quantile=\"") + q +
                "\"} 1e-05\n";
  }
  expected += "inferload_schedule_lateness_run_seconds_sum{scenario=\"default\"} 1e-05\n"
              "inferload_schedule_lateness_run_seconds_count{scenario=\"default\"} 1\n"
              "# HELP inferload_vus Active VUs, as k6's vus (sampled each second).\n"
              "# TYPE inferload_vus gauge\n"
              "inferload_vus 3\n"
              "# HELP inferload_vus_max Allocated VUs, as k6's vus_max (sampled each second).\n"
              "# TYPE inferload_vus_max gauge\n"
              "inferload_vus_max 5\n"
              "# HELP inferload_sample_rows_lost_total Sample rows lost because a worker's sample ring was full "
              "(--sample-buffer): their requests and iterations are missing from these metrics too.\n"
              "# TYPE inferload_sample_rows_lost_total counter\n"
              "inferload_sample_rows_lost_total 7\n";
  EXPECT_EQ(text, expected);
}

TEST(PrometheusMetrics, BeforeAnyRecordEveryFamilyIsDeclaredAndTheIterationCountersStartAtZero) {
  PrometheusMetrics m;
  m.set_labels({"a", "b"}, {"iris"});
  std::string text;
  m.render(text);
  EXPECT_NE(text.find("inferload_iterations_total{scenario=\"a\"} 0\ninferload_iterations_total{scenario=\"b\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("inferload_dropped_iterations_total{scenario=\"b\"} 0\n"), std::string::npos);
  EXPECT_EQ(text.find("inferload_requests_total{"), std::string::npos);
  EXPECT_EQ(text.find("_bucket{"), std::string::npos);
  EXPECT_NE(text.find("# TYPE inferload_schedule_lateness_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("inferload_vus 0\n"), std::string::npos);
}

TEST(PrometheusMetrics, StatusClassesAreAFixedSet) {
  auto name = [](const SampleRecord& r) {
    return std::string(PrometheusMetrics::status_class_name(PrometheusMetrics::status_class(r)));
  };
  EXPECT_EQ(name(rest(101, 1)), "1xx");
  EXPECT_EQ(name(rest(204, 1)), "2xx");
  EXPECT_EQ(name(rest(301, 1)), "3xx");
  EXPECT_EQ(name(rest(404, 1)), "4xx");
  EXPECT_EQ(name(rest(599, 1)), "5xx");
  EXPECT_EQ(name(rest(0, 1)), "error");    // no response: refused, reset, timed out
  EXPECT_EQ(name(rest(600, 1)), "error");  // not a status
  SampleRecord cut = rest(200, 1);
  cut.failure = static_cast<std::uint8_t>(net::Failure::timeout);  // the body never completed
  EXPECT_EQ(name(cut), "error");
  EXPECT_EQ(name(grpc_call(0, 1)), "OK");
  EXPECT_EQ(name(grpc_call(4, 1)), "DEADLINE_EXCEEDED");
  EXPECT_EQ(name(grpc_call(16, 1)), "UNAUTHENTICATED");
  EXPECT_EQ(name(grpc_call(17, 1)), "error");
  EXPECT_EQ(name(kafka_request(kafka::Fate::reply, 1)), "reply");
  EXPECT_EQ(name(kafka_request(kafka::Fate::error_topic, 1)), "error_topic");
  EXPECT_EQ(name(kafka_request(kafka::Fate::timed_out, 1)), "timed_out");
  EXPECT_EQ(name(kafka_request(kafka::Fate::produce_failed, 1)), "produce_failed");
  EXPECT_EQ(name(kafka_request(kafka::Fate::interrupted, 1)), "error");  // never recorded: no outcome
  // Every class has a distinct name: 6 for REST, one per gRPC code, one per Kafka outcome.
  std::set<std::string> names;
  for (std::size_t i = 0; i < PrometheusMetrics::kStatusClasses; ++i) names.insert(PrometheusMetrics::status_class_name(i));
  EXPECT_EQ(names.size(), PrometheusMetrics::kStatusClasses);
}

// Kafka requests are the protocol "kafka", by fate, next to REST's and gRPC's series.
TEST(PrometheusMetrics, KafkaRequestsAreTheirOwnProtocolByFate) {
  PrometheusMetrics m;
  m.set_labels({"default"}, {"iris", "tfsimple"});
  m.add(rest(200, 1'000'000));
  m.add(kafka_request(kafka::Fate::reply, 2'000'000));
  m.add(kafka_request(kafka::Fate::reply, 3'000'000));
  m.add(kafka_request(kafka::Fate::error_topic, 4'000'000));
  m.add(kafka_request(kafka::Fate::timed_out, 5'000'000'000));
  m.add(kafka_request(kafka::Fate::produce_failed, 1'000'000, 1));
  std::string text;
  m.render(text);
  const std::string iris = R"(scenario="default",protocol="kafka",model_type="iris")";
  const std::string tfsimple = R"(scenario="default",protocol="kafka",model_type="tfsimple")";
  for (const std::string& line :
       {"inferload_requests_total{" + iris + ",status_class=\"reply\"} 2\n",
        "inferload_requests_total{" + iris + ",status_class=\"error_topic\"} 1\n",
        "inferload_requests_total{" + iris + ",status_class=\"timed_out\"} 1\n",
        "inferload_requests_total{" + tfsimple + ",status_class=\"produce_failed\"} 1\n",
        "inferload_request_duration_seconds_bucket{" + iris + ",le=\"0.0025\"} 1\n",
        "inferload_request_duration_seconds_bucket{" + iris + ",le=\"5\"} 4\n",
        "inferload_request_duration_seconds_sum{" + iris + "} 5.009\n",
        "inferload_request_duration_seconds_count{" + iris + "} 4\n",
        "inferload_request_duration_run_seconds_count{" + iris + "} 4\n",
        "inferload_request_duration_seconds_count{" + tfsimple + "} 1\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  }
  // The REST series come first, and none of Kafka's is counted under another protocol.
  EXPECT_LT(text.find("protocol=\"rest\""), text.find("protocol=\"kafka\""));
  EXPECT_EQ(text.find(R"(protocol="rest",model_type="iris",status_class="reply")"), std::string::npos);
  EXPECT_EQ(text.find(R"(protocol="grpc")"), std::string::npos);
}

TEST(PrometheusMetrics, LabelValuesAreEscapedAndUnknownIndexesStayBounded) {
  EXPECT_EQ(output::escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  PrometheusMetrics m;
  m.set_labels({"s\"1"}, {"iris", "tfsimple"});
  m.add(rest(200, 1000, 1));
  m.add(rest(200, 1000, 7));  // past the types: "unknown", never a new label value per index
  SampleRecord other = rest(200, 1000, 0);
  other.scenario = 9;  // past the scenarios: counted under the first
  m.add(other);
  std::string text;
  m.render(text);
  EXPECT_NE(text.find("inferload_requests_total{scenario=\"s\\\"1\",protocol=\"rest\",model_type=\"tfsimple\",status_class=\"2xx\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("inferload_requests_total{scenario=\"s\\\"1\",protocol=\"rest\",model_type=\"unknown\",status_class=\"2xx\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("inferload_requests_total{scenario=\"s\\\"1\",protocol=\"rest\",model_type=\"iris\",status_class=\"2xx\"} 1\n"),
            std::string::npos);
}

// A plain HTTP/1.1 exchange with the endpoint: the whole response, read to the server's close.
std::string http(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

std::uint16_t port_of(const std::string& url) {
  const auto colon = url.rfind(':');
  return static_cast<std::uint16_t>(std::stoul(url.substr(colon + 1, url.find('/', colon) - colon - 1)));
}

TEST(MetricsServer, AnswersGetAndHeadOfMetricsAndNothingElse) {
  output::MetricsServer server("127.0.0.1:0", [](std::string& out) { out += "x_total 1\n"; });
  server.start();
  ASSERT_NE(server.port(), 0);
  EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()) + "/metrics");
  const std::string ok = http(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(ok,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 10\r\n"
            "Connection: close\r\n\r\nx_total 1\n");
  // Prometheus may add a query string; a request may arrive in pieces.
  EXPECT_EQ(http(server.port(), "GET /metrics?x=1 HTTP/1.0\r\n\r\n").substr(0, 15), "HTTP/1.1 200 OK");
  const std::string head = http(server.port(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_NE(head.find("Content-Length: 10\r\n"), std::string::npos);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  EXPECT_EQ(http(server.port(), "GET / HTTP/1.1\r\n\r\n").substr(0, 22), "HTTP/1.1 404 Not Found");
  const std::string post = http(server.port(), "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.substr(0, 31), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_NE(post.find("Allow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_EQ(http(server.port(), "hello\r\n\r\n").substr(0, 24), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(server.scrapes_begun(), 3u);  // the GETs and the HEAD of /metrics
  EXPECT_TRUE(server.wait_answered(3, runtime::now_ns()));
  server.stop();
}

TEST(MetricsServer, TheScrapeIntervalIsTheLongestRecentGap) {
  output::MetricsServer server("127.0.0.1:0", [](std::string&) {});
  server.start();
  EXPECT_EQ(server.scrape_interval(), 0);
  http(server.port(), "GET /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(server.scrape_interval(), 0);  // one scrape: no interval yet
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  http(server.port(), "GET /metrics HTTP/1.1\r\n\r\n");
  http(server.port(), "GET /metrics HTTP/1.1\r\n\r\n");  // a second scraper, right after the first
  http(server.port(), "GET /elsewhere HTTP/1.1\r\n\r\n");  // not a scrape
  EXPECT_GE(server.scrape_interval(), 150 * runtime::kMillisecond);
  EXPECT_EQ(server.scrapes_begun(), 3u);
}

TEST(MetricsServer, AddressesThatCannotServeAreErrorsThatSayWhy) {
  output::MetricsServer first("127.0.0.1:0", [](std::string&) {});
  const std::string taken = "127.0.0.1:" + std::to_string(first.port());
  try {
    output::MetricsServer second(taken, [](std::string&) {});
    FAIL() << "bound a port in use";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot listen on " + taken + ": Address already in use");
  }
  for (const char* bad : {"9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:http", "::1:9464", "[::1"}) {
    EXPECT_THROW(output::check_listen_address(bad), std::runtime_error) << bad;
    EXPECT_THROW(output::MetricsServer(bad, [](std::string&) {}), std::runtime_error) << bad;
  }
  for (const char* good : {"127.0.0.1:0", ":0", "[::1]:0", "localhost:0"}) {
    EXPECT_NO_THROW(output::check_listen_address(good)) << good;
  }
}

// The sink as a run makes it: fed by a collector of one worker, whose ring has room for four
// records, in scenario "steady"; served on a port of its own.
struct ServedSink {
  explicit ServedSink(std::vector<std::string> model_types) {
    std::string url;
    std::vector<std::unique_ptr<output::SampleSink>> sinks;
    sinks.push_back(output::make_prometheus_output("127.0.0.1:0", url));
    port = port_of(url);
    output::SampleContext context;
    context.scenarios.push_back({"steady", {}});
    context.model_types = std::move(model_types);
    collector = std::make_unique<output::SampleCollector>(1, context, std::move(sinks), 4);
  }
  metrics::SampleRing& ring() { return *collector->rings()[0]; }
  std::string scrape() const {
    const std::string r = http(port, "GET /metrics HTTP/1.1\r\n\r\n");
    return r.substr(r.find("\r\n\r\n") + 4);
  }
  std::uint16_t port = 0;
  std::unique_ptr<output::SampleCollector> collector;
};

// The sink as the run uses it: rows from the collector's expander, the context's names, the
// rows lost, and the final numbers kept up until the next scrape after the run.
TEST(PrometheusOutput, CountsEveryRecordTheCollectorTakesAndServesTheFinalNumbers) {
  ServedSink served({"iris", "tfsimple"});
  auto& collector = served.collector;
  // Four records of room: the fifth and sixth are lost, and counted (10 rows per REST request).
  for (int i = 0; i < 6; ++i) served.ring().push(rest(200, 2'000'000, static_cast<std::uint32_t>(i % 2)));
  collector->gauges(runtime::now_ns(), 2, 4);
  collector->start();
  auto body = [&] { return served.scrape(); };
  // Two scrapes during the run: the endpoint learns its scraper's interval.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  body();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  body();
  collector->stop();
  const std::string text = body();
  EXPECT_NE(text.find("inferload_requests_total{scenario=\"steady\",protocol=\"rest\",model_type=\"iris\","
                      "status_class=\"2xx\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("inferload_requests_total{scenario=\"steady\",protocol=\"rest\",model_type=\"tfsimple\","
                      "status_class=\"2xx\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("inferload_sample_rows_lost_total 20\n"), std::string::npos);
  EXPECT_NE(text.find("inferload_vus 2\n"), std::string::npos);
  EXPECT_NE(text.find("inferload_vus_max 4\n"), std::string::npos);

  // That scrape came after the run: destroying the sink does not wait.
  auto t0 = std::chrono::steady_clock::now();
  collector.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
}

// A Kafka record makes up to five rows: the sink counts it once, by its first; and the rows lost
// with the records a full ring refused are those they would have made.
TEST(PrometheusOutput, CountsEachKafkaRecordOnceAndTheRowsLostWithThem) {
  ServedSink served({"iris"});
  metrics::SampleRing* ring = &served.ring();
  SampleRecord scheduled = kafka_request(kafka::Fate::reply, 2'000'000);
  scheduled.intended = 3'000'000;
  ring->push(scheduled);
  ring->push(kafka_request(kafka::Fate::reply, 2'000'000));
  ring->push(kafka_request(kafka::Fate::timed_out, 2'000'000));
  ring->push(kafka_request(kafka::Fate::error_topic, 2'000'000));
  ring->push(scheduled);                                          // lost: 5 rows
  ring->push(kafka_request(kafka::Fate::timed_out, 2'000'000));  // lost: 3 rows
  served.collector->start();
  served.collector->stop(true);
  const std::string text = served.scrape();
  const std::string labels = R"(scenario="steady",protocol="kafka",model_type="iris")";
  EXPECT_NE(text.find("inferload_requests_total{" + labels + ",status_class=\"reply\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("inferload_requests_total{" + labels + ",status_class=\"timed_out\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("inferload_requests_total{" + labels + ",status_class=\"error_topic\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("inferload_request_duration_seconds_count{" + labels + "} 4\n"), std::string::npos);
  EXPECT_NE(text.find("inferload_sample_rows_lost_total 8\n"), std::string::npos);
}

TEST(PrometheusOutput, StaysUpAfterTheRunUntilTheNextScrape) {
  std::string url;
  std::vector<std::unique_ptr<output::SampleSink>> sinks;
  sinks.push_back(output::make_prometheus_output("127.0.0.1:0", url));
  const std::uint16_t port = port_of(url);
  auto collector = std::make_unique<output::SampleCollector>(1, output::SampleContext{}, std::move(sinks), 16);
  collector->rings()[0]->push(rest(200, 1000));
  collector->start();
  http(port, "GET /metrics HTTP/1.1\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  http(port, "GET /metrics HTTP/1.1\r\n\r\n");  // an interval of ~50 ms: the wait is at most ~1.05 s
  collector->stop();
  std::atomic<bool> gone{false};
  std::thread destroy([&] {
    collector.reset();
    gone = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(gone.load()) << "the final numbers were never scraped";
  const std::string last = http(port, "GET /metrics HTTP/1.1\r\n\r\n");
  EXPECT_NE(last.find("status_class=\"2xx\"} 1\n"), std::string::npos) << last;
  destroy.join();
  EXPECT_TRUE(gone.load());
}

TEST(PrometheusOutput, WithoutAScraperTheEndpointClosesAtOnce) {
  std::string url;
  std::vector<std::unique_ptr<output::SampleSink>> sinks;
  sinks.push_back(output::make_prometheus_output("127.0.0.1:0", url));
  auto collector = std::make_unique<output::SampleCollector>(1, output::SampleContext{}, std::move(sinks), 16);
  collector->start();
  collector->stop();
  const auto t0 = std::chrono::steady_clock::now();
  collector.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(200));
}

}  // namespace
}  // namespace inferload
