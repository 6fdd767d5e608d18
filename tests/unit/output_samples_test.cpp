// The sample outputs' pieces: the ring the workers write, k6's value and time formats, the CSV
// row layout and the rows one record becomes.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "inferload/kafka/request.hpp"
#include "inferload/metrics/sample_ring.hpp"
#include "inferload/output/sample_outputs.hpp"
#include "inferload/output/sample_rows.hpp"

namespace inferload {
namespace {

using metrics::SampleKind;
using runtime::Nanos;
using metrics::SampleRecord;
using metrics::SampleRing;

TEST(SampleRing, KeepsOrderAcrossWrapsAndCountsWhatDidNotFit) {
  SampleRing ring(8);
  std::vector<Nanos> seen;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 6; ++i) {
      SampleRecord r;
      r.at = round * 100 + i;
      EXPECT_TRUE(ring.push(r));
    }
    ring.drain([&](const SampleRecord& r) { seen.push_back(r.at); });
  }
  ASSERT_EQ(seen.size(), 30u);
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 6; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(round * 6 + i)], round * 100 + i);
  }
  // Full: the ninth and tenth are lost, counted by kind and by whether they were scheduled.
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(ring.push(SampleRecord{}));
  SampleRecord scheduled;
  scheduled.kind = SampleKind::iteration;
  scheduled.intended = 5;
  EXPECT_FALSE(ring.push(scheduled));
  EXPECT_FALSE(ring.push(SampleRecord{}));
  EXPECT_EQ(ring.lost(SampleKind::iteration, true), 1u);
  EXPECT_EQ(ring.lost(SampleKind::http, false), 1u);
  EXPECT_EQ(ring.lost(SampleKind::http, true), 0u);
  EXPECT_EQ(ring.drain([](const SampleRecord&) {}), 8u);
}

TEST(SampleRing, OneProducerOneConsumerLoseNothingWhileThereIsRoom) {
  SampleRing ring(1024);
  constexpr int kRecords = 200000;
  std::thread producer([&] {
    for (int i = 0; i < kRecords;) {
      SampleRecord r;
      r.at = i;
      if (ring.push(r)) ++i;
    }
  });
  Nanos expected = 0;
  while (expected < kRecords) {
    ring.drain([&](const SampleRecord& r) {
      EXPECT_EQ(r.at, expected);
      ++expected;
    });
  }
  producer.join();
  EXPECT_EQ(expected, kRecords);
}

TEST(SampleFormats, GoFloatIsStrconvShortestG) {
  EXPECT_EQ(output::go_float(5), "5");
  EXPECT_EQ(output::go_float(0), "0");
  EXPECT_EQ(output::go_float(12.345678), "12.345678");
  EXPECT_EQ(output::go_float(0.0001), "0.0001");
  EXPECT_EQ(output::go_float(0.00001), "1e-05");
  EXPECT_EQ(output::go_float(123456.7), "123456.7");
  EXPECT_EQ(output::go_float(1500000), "1.5e+06");
  EXPECT_EQ(output::go_float(1e21), "1e+21");
  EXPECT_EQ(output::go_float(-2.5), "-2.5");
}

TEST(SampleFormats, Rfc3339InUtcAndInAnOffsetZone) {
  const char* old = getenv("TZ");
  const std::string saved = old ? old : "";
  setenv("TZ", "UTC", 1);
  tzset();
  const Nanos t = 1718000000LL * 1'000'000'000 + 123'450'000;
  EXPECT_EQ(output::rfc3339(t, true), "2024-06-10T06:13:20.12345Z");
  EXPECT_EQ(output::rfc3339(t, false), "2024-06-10T06:13:20Z");
  EXPECT_EQ(output::rfc3339(1718000000LL * 1'000'000'000, true), "2024-06-10T06:13:20Z");
  setenv("TZ", "IST-5:30", 1);
  tzset();
  EXPECT_EQ(output::rfc3339(t, false), "2024-06-10T11:43:20+05:30");
  if (old) setenv("TZ", saved.c_str(), 1);
  else unsetenv("TZ");
  tzset();
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(CsvOutput, RowsAsK6WritesThem) {
  const std::string path = ::testing::TempDir() + "/rows.csv";
  output::CsvOptions o;
  o.file = path;
  o.time_format = output::CsvTimeFormat::unix_milli;
  auto sink = output::make_csv_output(o);
  output::SampleContext c;
  c.scenarios = {{"default", {{"team", "a,b"}}}};
  c.rest_url = [](std::uint32_t type, std::uint32_t id) {
    return "http://h:80/v2/models/m" + std::to_string(type) + "_" + std::to_string(id) + "/infer";
  };
  output::SampleExpander x(c);
  SampleRecord r;
  r.kind = SampleKind::http;
  r.at = 1718000000LL * 1'000'000'000 + 5'000'000;
  r.duration = 1'500'000;
  r.status = 503;
  r.target_type = 1;
  r.target_id = 7;
  std::vector<output::SampleSink*> sinks{sink.get()};
  EXPECT_EQ(x.expand(r, sinks), output::SampleExpander::rows_of(SampleKind::http, false));
  EXPECT_EQ(sink->close(), "");
  const std::string text = read_file(path);
  std::istringstream lines(text);
  std::string header, reqs, duration;
  std::getline(lines, header);
  std::getline(lines, reqs);
  std::getline(lines, duration);
  EXPECT_EQ(header,
            "metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,"
            "scenario,service,status,subproto,tls_version,url,extra_tags,metadata");
  // A scenario tag goes to extra_tags, quoted as Go's encoding/csv quotes a comma.
  EXPECT_EQ(reqs,
            "http_reqs,1718000000005,1.000000,,status 503,1503,false,,POST,http://h:80/v2/models/m1_7/infer,HTTP/1.1,"
            "default,,503,,,http://h:80/v2/models/m1_7/infer,\"team=a,b\",");
  EXPECT_EQ(duration.substr(0, duration.find(',', 32)), "http_req_duration,1718000000005,1.500000");
}

TEST(JsonOutput, PointsAsK6WritesThemTagSetAfterTagSet) {
  setenv("TZ", "UTC", 1);
  tzset();
  const std::string path = ::testing::TempDir() + "/points.json";
  auto sink = output::make_json_output(path, {{"iteration_duration", {"\"p(95)<500\""}}});
  output::SampleContext c;
  c.scenarios = {{"s&1", {}}};
  output::SampleExpander x(c);
  std::vector<output::SampleSink*> sinks{sink.get()};
  SampleRecord it;
  it.kind = SampleKind::iteration;
  it.at = 1718000000LL * 1'000'000'000 + 120'000'000;
  it.duration = 2'000'000'000;
  it.bytes_sent = 300;
  it.bytes_received = 1'500'000;  // from 10^6 up Go's 'g' writes exponent form, integers too
  x.expand(it, sinks);
  SampleRecord drop;
  drop.kind = SampleKind::dropped;
  drop.at = 1718000001LL * 1'000'000'000;
  x.expand(drop, sinks);
  EXPECT_EQ(sink->close(), "");
  EXPECT_EQ(read_file(path),
            "{\"type\":\"Metric\",\"data\":{\"name\":\"data_sent\",\"type\":\"counter\",\"contains\":\"data\","
            "\"thresholds\":[],\"submetrics\":null},\"metric\":\"data_sent\"}\n"
            "{\"metric\":\"data_sent\",\"type\":\"Point\",\"data\":{\"time\":\"2024-06-10T06:13:20.12Z\","
            "\"value\":300,\"tags\":{\"group\":\"\",\"scenario\":\"s\\u00261\"}}}\n"
            "{\"type\":\"Metric\",\"data\":{\"name\":\"data_received\",\"type\":\"counter\",\"contains\":\"data\","
            "\"thresholds\":[],\"submetrics\":null},\"metric\":\"data_received\"}\n"
            "{\"metric\":\"data_received\",\"type\":\"Point\",\"data\":{\"time\":\"2024-06-10T06:13:20.12Z\","
            "\"value\":1.5e+06,\"tags\":{\"group\":\"\",\"scenario\":\"s\\u00261\"}}}\n"
            "{\"type\":\"Metric\",\"data\":{\"name\":\"iteration_duration\",\"type\":\"trend\",\"contains\":\"time\","
            "\"thresholds\":[\"p(95)<500\"],\"submetrics\":null},\"metric\":\"iteration_duration\"}\n"
            "{\"metric\":\"iteration_duration\",\"type\":\"Point\",\"data\":{\"time\":\"2024-06-10T06:13:20.12Z\","
            "\"value\":2000,\"tags\":{\"group\":\"\",\"scenario\":\"s\\u00261\"}}}\n"
            "{\"type\":\"Metric\",\"data\":{\"name\":\"iterations\",\"type\":\"counter\",\"contains\":\"default\","
            "\"thresholds\":[],\"submetrics\":null},\"metric\":\"iterations\"}\n"
            "{\"metric\":\"iterations\",\"type\":\"Point\",\"data\":{\"time\":\"2024-06-10T06:13:20.12Z\","
            "\"value\":1,\"tags\":{\"group\":\"\",\"scenario\":\"s\\u00261\"}}}\n"
            "{\"type\":\"Metric\",\"data\":{\"name\":\"dropped_iterations\",\"type\":\"counter\",\"contains\":"
            "\"default\",\"thresholds\":[],\"submetrics\":null},\"metric\":\"dropped_iterations\"}\n"
            "{\"metric\":\"dropped_iterations\",\"type\":\"Point\",\"data\":{\"time\":\"2024-06-10T06:13:21Z\","
            "\"value\":1,\"tags\":{\"scenario\":\"s\\u00261\"}}}\n");
  unsetenv("TZ");
  tzset();
}

// Keeps each row as "metric value tag=v|tag=v|...", tags in the order given.
class RowsKept final : public output::SampleSink {
 public:
  void write(const output::SampleRow& row) override {
    std::string line = std::string(row.metric->name) + " " + std::to_string(row.value) + " ";
    for (std::size_t i = 0; i < row.tag_count; ++i) {
      line += (i ? "|" : "") + std::string(row.tags[i].name) + "=" + std::string(row.tags[i].value);
    }
    rows.push_back(line);
  }
  void tick(Nanos) override {}
  std::string close() override { return ""; }
  std::vector<std::string> rows;
};

output::SampleContext control_context() {
  output::SampleContext c;
  c.scenarios = {{"lpu", {{"team", "x"}}}};
  c.scheduler_endpoint = "sched:9004";
  c.control_methods = {"/seldon.mlops.scheduler.Scheduler/LoadModel", "/seldon.mlops.scheduler.Scheduler/ModelStatus"};
  c.control_checks = {"load model success", "model status success"};
  c.phase_url = [](std::uint32_t i, bool warmup) {
    return "http://h:9000/v2/models/m" + std::to_string(i) + (warmup ? "/infer" : "/ready");
  };
  return c;
}

TEST(SampleRows, AnIterationsSchedulerCallIsItsDurationAndItsCheckInItsScenario) {
  output::SampleExpander x(control_context());
  RowsKept kept;
  std::vector<output::SampleSink*> sinks{&kept};
  SampleRecord r;
  r.kind = SampleKind::scheduler;
  r.duration = 2'000'000;
  r.target_id = 1;    // ModelStatus
  r.target_type = 1;  // its check
  r.status = 0;
  r.passed = false;   // the model failed: the call itself succeeded
  EXPECT_EQ(x.expand(r, sinks), output::SampleExpander::rows_of(SampleKind::scheduler, false));
  ASSERT_EQ(kept.rows.size(), 2u);
  EXPECT_EQ(kept.rows[0],
            "scheduler_req_duration 2.000000 group=|method=ModelStatus|name=/seldon.mlops.scheduler.Scheduler/"
            "ModelStatus|scenario=lpu|service=seldon.mlops.scheduler.Scheduler|status=0|team=x|url=sched:9004/"
            "seldon.mlops.scheduler.Scheduler/ModelStatus");
  EXPECT_EQ(kept.rows[1], "checks 0.000000 check=model status success|group=|scenario=lpu|team=x");
}

TEST(SampleRows, SetupAndTeardownCallsHaveTheirGroupAndNoScenario) {
  output::SampleExpander x(control_context());
  RowsKept kept;
  std::vector<output::SampleSink*> sinks{&kept};
  SampleRecord probe;
  probe.kind = SampleKind::phase_http;
  probe.scenario = metrics::kSetupPhase;
  probe.target_id = 3;
  probe.status = 404;
  probe.duration = 1'000'000;
  EXPECT_EQ(x.expand(probe, sinks), output::SampleExpander::rows_of(SampleKind::phase_http, false));
  ASSERT_EQ(kept.rows.size(), 9u);
  EXPECT_EQ(kept.rows[0],
            "http_reqs 1.000000 error=status 404|error_code=1404|expected_response=false|group=::setup|method=GET|"
            "name=http://h:9000/v2/models/m3/ready|proto=HTTP/1.1|status=404|url=http://h:9000/v2/models/m3/ready");
  EXPECT_EQ(kept.rows[8].substr(0, kept.rows[8].find(' ', 16)), "http_req_failed 1.000000");
  kept.rows.clear();
  SampleRecord warm = probe;
  warm.target_type = 1;
  warm.status = 200;
  x.expand(warm, sinks);
  EXPECT_EQ(kept.rows[0],
            "http_reqs 1.000000 expected_response=true|group=::setup|method=POST|name=http://h:9000/v2/models/m3/"
            "infer|proto=HTTP/1.1|status=200|url=http://h:9000/v2/models/m3/infer");
  kept.rows.clear();
  SampleRecord call;
  call.kind = SampleKind::phase_grpc;
  call.scenario = metrics::kTeardownPhase;
  call.target_id = 0;
  call.status = 9;
  call.duration = 500'000;
  EXPECT_EQ(x.expand(call, sinks), 1u);
  EXPECT_EQ(kept.rows[0],
            "grpc_req_duration 0.500000 group=::teardown|method=LoadModel|name=/seldon.mlops.scheduler.Scheduler/"
            "LoadModel|service=seldon.mlops.scheduler.Scheduler|status=9|url=sched:9004/seldon.mlops.scheduler."
            "Scheduler/LoadModel");
  kept.rows.clear();
  SampleRecord bytes;
  bytes.kind = SampleKind::phase_data;
  bytes.scenario = metrics::kSetupPhase;
  bytes.bytes_sent = 10;
  bytes.bytes_received = 20;
  EXPECT_EQ(x.expand(bytes, sinks), 2u);
  EXPECT_EQ(kept.rows[0], "data_sent 10.000000 group=::setup");
  EXPECT_EQ(kept.rows[1], "data_received 20.000000 group=::setup");
}

output::SampleContext kafka_context() {
  output::SampleContext c;
  c.scenarios = {{"kafka", {{"team", "x"}}}};
  c.kafka_model = [](std::uint32_t type, std::uint32_t id) { return "m" + std::to_string(type) + "-" + std::to_string(id); };
  c.kafka_topic = [](std::uint32_t type, std::uint32_t id) {
    return "seldon.default.model.m" + std::to_string(type) + "-" + std::to_string(id) + ".inputs";
  };
  return c;
}

SampleRecord kafka_record(kafka::Fate fate, Nanos duration, Nanos produce, Nanos intended) {
  SampleRecord r;
  r.kind = SampleKind::kafka;
  r.duration = duration;
  r.sending = produce;
  r.intended = intended;
  r.target_type = 2;
  r.target_id = 9;
  r.failure = static_cast<std::uint8_t>(fate);
  return r;
}

// A reply of a scheduled iteration: all five rows, the check passed.
TEST(SampleRows, AKafkaReplyIsItsCountDurationsAndPassedCheck) {
  output::SampleExpander x(kafka_context());
  RowsKept kept;
  std::vector<output::SampleSink*> sinks{&kept};
  const SampleRecord r = kafka_record(kafka::Fate::reply, 3'000'000, 500'000, 4'000'000);
  EXPECT_EQ(metrics::optional_rows(r), 2u);
  EXPECT_EQ(x.expand(r, sinks), output::SampleExpander::rows_of(SampleKind::kafka, metrics::optional_rows(r)));
  const std::string tags = "group=|model=m2-9|name=seldon.default.model.m2-9.inputs|scenario=kafka|team=x";
  EXPECT_EQ(kept.rows, (std::vector<std::string>{
                           "kafka_reqs 1.000000 " + tags,
                           "kafka_req_duration 3.000000 " + tags,
                           "kafka_produce_duration 0.500000 " + tags,
                           "kafka_req_duration_intended 4.000000 " + tags,
                           "checks 1.000000 check=model kafka prediction success|group=|scenario=kafka|team=x",
                       }));
  // Their metrics, as the JSON output declares them.
  EXPECT_EQ(output::SampleExpander::metric("kafka_reqs")->type, output::MetricType::counter);
  for (const char* trend : {"kafka_req_duration", "kafka_produce_duration", "kafka_req_duration_intended"}) {
    ASSERT_NE(output::SampleExpander::metric(trend), nullptr) << trend;
    EXPECT_EQ(output::SampleExpander::metric(trend)->type, output::MetricType::trend) << trend;
    EXPECT_EQ(output::SampleExpander::metric(trend)->contains, output::MetricContains::time) << trend;
  }
}

// Failures carry their fate as `error`, and have no produce row without a delivery report.
TEST(SampleRows, AFailedKafkaRequestNamesItsFateAndFailsItsCheck) {
  output::SampleExpander x(kafka_context());
  RowsKept kept;
  std::vector<output::SampleSink*> sinks{&kept};
  const SampleRecord timeout = kafka_record(kafka::Fate::timed_out, 5'000'000'000, -1, -1);
  EXPECT_EQ(metrics::optional_rows(timeout), 0u);
  EXPECT_EQ(x.expand(timeout, sinks), output::SampleExpander::rows_of(SampleKind::kafka, 0));
  const std::string tags = "error=timed_out|group=|model=m2-9|name=seldon.default.model.m2-9.inputs|scenario=kafka|team=x";
  EXPECT_EQ(kept.rows, (std::vector<std::string>{
                           "kafka_reqs 1.000000 " + tags,
                           "kafka_req_duration 5000.000000 " + tags,
                           "checks 0.000000 check=model kafka prediction success|group=|scenario=kafka|team=x",
                       }));
  kept.rows.clear();
  x.expand(kafka_record(kafka::Fate::error_topic, 2'000'000, 1'000'000, -1), sinks);
  ASSERT_EQ(kept.rows.size(), 4u);
  EXPECT_EQ(kept.rows[2],
            "kafka_produce_duration 1.000000 error=error_topic|group=|model=m2-9|name=seldon.default.model.m2-9.inputs|"
            "scenario=kafka|team=x");
  EXPECT_EQ(kept.rows[3].substr(0, 14), "checks 0.00000");
  kept.rows.clear();
  x.expand(kafka_record(kafka::Fate::produce_failed, 2'000'000, -1, 7'000'000), sinks);
  ASSERT_EQ(kept.rows.size(), 4u);
  EXPECT_EQ(kept.rows[0].substr(0, 42), "kafka_reqs 1.000000 error=produce_failed|g");
  EXPECT_EQ(kept.rows[2].substr(0, 36), "kafka_req_duration_intended 7.000000");

  // Without the names (Kafka off in the context), the rows still come, without those tags.
  output::SampleContext bare;
  bare.scenarios = {{"kafka", {}}};
  output::SampleExpander plain(bare);
  kept.rows.clear();
  plain.expand(kafka_record(kafka::Fate::reply, 1'000'000, 0, -1), sinks);
  ASSERT_EQ(kept.rows.size(), 4u);
  EXPECT_EQ(kept.rows[0], "kafka_reqs 1.000000 group=|scenario=kafka");
}

// A full ring counts what it loses by kind and optional rows, so the rows lost are exact: a Kafka
// request without a delivery report makes one row fewer.
TEST(SampleRing, LostKafkaRecordsCountTheRowsTheyWouldHaveMade) {
  SampleRing ring(2);
  EXPECT_TRUE(ring.push(SampleRecord{}));
  EXPECT_TRUE(ring.push(SampleRecord{}));
  EXPECT_FALSE(ring.push(kafka_record(kafka::Fate::reply, 1, 1, 1)));        // 5 rows
  EXPECT_FALSE(ring.push(kafka_record(kafka::Fate::reply, 1, 1, 1)));        // 5
  EXPECT_FALSE(ring.push(kafka_record(kafka::Fate::reply, 1, 1, -1)));       // 4
  EXPECT_FALSE(ring.push(kafka_record(kafka::Fate::timed_out, 1, -1, 1)));   // 4
  EXPECT_FALSE(ring.push(kafka_record(kafka::Fate::timed_out, 1, -1, -1)));  // 3
  EXPECT_EQ(ring.lost(SampleKind::kafka, 0), 1u);
  EXPECT_EQ(ring.lost(SampleKind::kafka, 1), 2u);
  EXPECT_EQ(ring.lost(SampleKind::kafka, 2), 2u);
  EXPECT_EQ(ring.lost(SampleKind::http, 0), 0u);
  std::uint64_t rows = 0;
  for (std::size_t optional = 0; optional <= metrics::kMaxOptionalRows; ++optional) {
    rows += ring.lost(SampleKind::kafka, optional) * output::SampleExpander::rows_of(SampleKind::kafka, optional);
  }
  EXPECT_EQ(rows, 5u + 5 + 4 + 4 + 3);
}

TEST(CsvOutput, AKafkaRowsTopicIsItsNameAndItsModelAnExtraTag) {
  const std::string path = ::testing::TempDir() + "/kafka_rows.csv";
  output::CsvOptions o;
  o.file = path;
  o.time_format = output::CsvTimeFormat::unix_milli;
  auto sink = output::make_csv_output(o);
  output::SampleExpander x(kafka_context());
  SampleRecord r = kafka_record(kafka::Fate::error_topic, 2'500'000, -1, -1);
  r.at = 1718000000LL * 1'000'000'000 + 5'000'000;
  std::vector<output::SampleSink*> sinks{sink.get()};
  EXPECT_EQ(x.expand(r, sinks), 3u);
  EXPECT_EQ(sink->close(), "");
  std::istringstream lines(read_file(path));
  std::string header, reqs, duration, check;
  std::getline(lines, header);
  std::getline(lines, reqs);
  std::getline(lines, duration);
  std::getline(lines, check);
  EXPECT_EQ(reqs,
            "kafka_reqs,1718000000005,1.000000,,error_topic,,,,,seldon.default.model.m2-9.inputs,,kafka,,,,,,"
            "model=m2-9&team=x,");
  EXPECT_EQ(duration.substr(0, duration.find(',', 36)), "kafka_req_duration,1718000000005,2.500000");
  EXPECT_EQ(check, "checks,1718000000005,0.000000,model kafka prediction success,,,,,,,,kafka,,,,,,team=x,");
}

}  // namespace
}  // namespace inferload
