// Why requests failed: the shard's fixed failure tables, their exact merge, k6's error codes and
// texts per exchange, and the report rows built from the merged tables.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "inferload/http1/error_code.hpp"
#include "inferload/load/shard.hpp"
#include "inferload/scenario/protocol_metrics.hpp"
#include "inferload/output/metric_values.hpp"
#include "inferload/output/report_builder.hpp"
#include "inferload/scv2/scripts.hpp"

namespace inferload {
namespace {

using http1::Exchange;
using http1::ParseError;
using net::Failure;

Exchange response(int status) {
  Exchange x;
  x.status = status;
  return x;
}

Exchange failure(Failure f, ParseError p = ParseError::none) {
  Exchange x;
  x.failure = f;
  x.parse_error = p;
  return x;
}

TEST(K6ErrorCode, StatusesFailuresAndSuccess) {
  EXPECT_EQ(http1::k6_error_code(response(200)), 0);
  EXPECT_EQ(http1::k6_error_code(response(301)), 0);  // k6 tags no error_code below 400
  EXPECT_EQ(http1::k6_error_code(response(404)), 1404);
  EXPECT_EQ(http1::k6_error_code(response(503)), 1503);
  EXPECT_EQ(http1::k6_error_code(failure(Failure::dns)), 1100);
  EXPECT_EQ(http1::k6_error_code(failure(Failure::connect_refused)), 1212);
  EXPECT_EQ(http1::k6_error_code(failure(Failure::connect_timeout)), 1211);
  EXPECT_EQ(http1::k6_error_code(failure(Failure::connect_error)), 1210);
  EXPECT_EQ(http1::k6_error_code(failure(Failure::no_resources)), 1213);
  EXPECT_EQ(http1::k6_error_code(failure(Failure::reset)), 1220);
  EXPECT_EQ(http1::k6_error_code(failure(Failure::broken_pipe)), 1201);
  EXPECT_EQ(http1::k6_error_code(failure(Failure::closed)), 1000);
  EXPECT_EQ(http1::k6_error_code(failure(Failure::io_error)), 1200);
  EXPECT_EQ(http1::k6_error_code(failure(Failure::protocol, ParseError::bad_chunk)), 1000);
  EXPECT_EQ(http1::k6_error_code(failure(Failure::timeout)), 1050);
}

TEST(K6ErrorText, GoLikeTextsAndTheParsersReason) {
  EXPECT_EQ(http1::k6_error_text(response(200)), "");
  EXPECT_EQ(http1::k6_error_text(response(503)), "status 503");
  EXPECT_EQ(http1::k6_error_text(response(301)), "status 301");
  EXPECT_EQ(http1::k6_error_text(failure(Failure::connect_refused)), "dial: connection refused");
  EXPECT_EQ(http1::k6_error_text(failure(Failure::connect_timeout)), "dial: i/o timeout");
  EXPECT_EQ(http1::k6_error_text(failure(Failure::reset)), "read: connection reset by peer");
  EXPECT_EQ(http1::k6_error_text(failure(Failure::timeout)), "request timeout");
  EXPECT_EQ(http1::k6_error_text(failure(Failure::closed)), "EOF");
  EXPECT_EQ(http1::k6_error_text(failure(Failure::protocol, ParseError::bad_chunk)),
            "malformed HTTP response: bad chunk");
  EXPECT_EQ(http1::k6_error_text(failure(Failure::protocol, ParseError::header_too_large)),
            "malformed HTTP response: header too large");
  EXPECT_EQ(http1::k6_error_text(failure(Failure::protocol, ParseError::unexpected_eof)), "unexpected EOF");
  // Every kind has a text, so no failure is ever reported nameless.
  for (int f = static_cast<int>(Failure::dns); f <= static_cast<int>(Failure::interrupted); ++f) {
    EXPECT_FALSE(http1::k6_error_text(failure(static_cast<Failure>(f))).empty()) << f;
  }
}

// A worker's two shards: the run's counts and the protocols' metrics.
struct Shards {
  load::Shard run;
  scenario::ProtocolShard protocols;
  const scenario::FailureCounts& failures() const { return protocols.rest.failures; }
  const metrics::RequestAccounting& requests() const { return run.requests; }
};

// n copies of each exchange, in the order given.
void record(Shards& s, const std::vector<std::pair<Exchange, int>>& mix) {
  for (const auto& [x, n] : mix) {
    for (int i = 0; i < n; ++i) scenario::record_rest(s.protocols, s.run, x);
  }
}

TEST(FailureCounts, OneCellPerFailedRequest) {
  Shards s;
  record(s, {{response(200), 5},
             {response(503), 3},
             {response(301), 1},
             {failure(Failure::connect_refused), 2},
             {failure(Failure::timeout), 4},
             {failure(Failure::connect_timeout), 1},
             {failure(Failure::protocol, ParseError::bad_chunk), 2},
             {failure(Failure::interrupted), 7}});
  const auto& f = s.failures();
  EXPECT_EQ(f.by_status[503], 3u);
  EXPECT_EQ(f.by_status[301], 1u);
  EXPECT_EQ(f.by_status[200], 0u);
  EXPECT_EQ(f.by_failure[static_cast<std::size_t>(Failure::connect_refused)], 2u);
  EXPECT_EQ(f.by_failure[static_cast<std::size_t>(Failure::timeout)], 4u);
  EXPECT_EQ(f.by_failure[static_cast<std::size_t>(Failure::connect_timeout)], 1u);
  EXPECT_EQ(f.by_failure[static_cast<std::size_t>(Failure::protocol)], 0u);  // counted by its reason
  EXPECT_EQ(f.by_parse_error[static_cast<std::size_t>(ParseError::bad_chunk)], 2u);
  EXPECT_EQ(f.by_failure[static_cast<std::size_t>(Failure::interrupted)], 0u);  // not a failure
  EXPECT_EQ(s.requests().failed, 8u);
  EXPECT_EQ(s.requests().timed_out, 5u);
  EXPECT_EQ(f.total(), s.requests().failed + s.requests().timed_out);
}

TEST(FailureCounts, ImpossibleStatusStillCounted) {
  Shards s;
  record(s, {{response(0), 1}, {response(1200), 1}});
  EXPECT_EQ(s.failures().by_status[0], 2u);
  EXPECT_EQ(s.failures().total(), s.requests().failed);
}

TEST(FailureCounts, MergeIsExact) {
  const std::vector<std::pair<Exchange, int>> a = {{response(503), 3}, {failure(Failure::reset), 2},
                                                   {failure(Failure::protocol, ParseError::bad_header), 1}};
  const std::vector<std::pair<Exchange, int>> b = {{response(503), 4}, {response(404), 1},
                                                   {failure(Failure::timeout), 6}};
  Shards one;
  record(one, a);
  record(one, b);
  auto left = std::make_unique<Shards>();
  Shards right;
  record(*left, a);
  record(right, b);
  left->protocols.merge(right.protocols);
  EXPECT_EQ(left->failures().by_failure, one.failures().by_failure);
  EXPECT_EQ(left->failures().by_parse_error, one.failures().by_parse_error);
  EXPECT_EQ(left->failures().by_status, one.failures().by_status);
  EXPECT_EQ(left->failures().total(), 17u);
}

TEST(FailureCounts, ReportRowsByCountThenCode) {
  load::RunResult result;
  Shards s;
  record(s, {{response(200), 10},
                          {response(500), 4},
                          {response(301), 2},
                          {failure(Failure::connect_refused), 2},
                          {failure(Failure::protocol, ParseError::unexpected_eof), 4},
                          {failure(Failure::timeout), 1}});
  result.totals = std::make_unique<load::Shard>();
  result.totals->merge(s.run);
  const load::ScenarioConfig scenario;
  const scv2::Script& script = scv2::find_script("infer_constant_vu");
  const std::vector<output::ScenarioMeasures> measures = {{&scenario, result.totals.get(), &s.protocols, 0}};
  const output::RunReport r = output::build_report(result, measures, script.thresholds, script, output::RunInfo{});
  const auto& rows = r.info.failures;
  ASSERT_EQ(rows.size(), 5u);
  // Equal counts go by error_code: 1000 before 1500, then 0 (a 301) before 1212.
  EXPECT_EQ(rows[0].error_code, 1000);
  EXPECT_EQ(rows[0].error, "unexpected EOF");
  EXPECT_EQ(rows[0].count, 4u);
  EXPECT_EQ(rows[1].error_code, 1500);
  EXPECT_EQ(rows[1].status, 500);
  EXPECT_EQ(rows[1].error, "status 500");
  EXPECT_EQ(rows[2].error_code, 0);
  EXPECT_EQ(rows[2].status, 301);
  EXPECT_EQ(rows[3].error_code, 1212);
  EXPECT_EQ(rows[3].status, 0);
  EXPECT_EQ(rows[3].error, "dial: connection refused");
  EXPECT_EQ(rows[4].error_code, 1050);
  EXPECT_EQ(rows[4].error, "request timeout");
  std::uint64_t sum = 0;
  for (const auto& row : rows) sum += row.count;
  EXPECT_EQ(sum, r.info.requests.failed + r.info.requests.timed_out);
}

// A threshold's selector picks the scenarios whose samples carry all its tags: the scenario's
// name as `scenario` and its own `tags`; dropped_iterations carries only `scenario`.
TEST(ReportSelectors, ScenarioTagsSelectTheScenariosThatCarryThem) {
  load::ScenarioConfig a, b, c;
  a.name = "a";
  a.tags = {{"team", "x"}};
  b.name = "b";
  b.tags = {{"team", "x"}, {"tier", "gold"}};
  c.name = "c";
  c.tags = {{"team", "y"}};
  Shards sa, sb, sc;
  record(sa, {{response(200), 10}});
  record(sb, {{response(200), 4}});
  record(sc, {{response(200), 2}});
  load::RunResult result;
  result.totals = std::make_unique<load::Shard>();
  for (Shards* s : {&sa, &sb, &sc}) result.totals->merge(s->run);
  const std::vector<output::ScenarioMeasures> measures = {
      {&a, &sa.run, &sa.protocols, 1}, {&b, &sb.run, &sb.protocols, 2}, {&c, &sc.run, &sc.protocols, 4}};
  const std::vector<scv2::ThresholdDecl> thresholds = {
      {"http_reqs{team:x}", {"count==14"}},
      {"http_reqs{scenario:c}", {"count==2"}},
      {"http_reqs{team:x,scenario:b}", {"count==4"}},
      {"http_reqs{tier:gold,team:x}", {"count==4"}},
      {"http_reqs{team:z}", {"count==0"}},
      {"dropped_iterations{scenario:c}", {"count==4"}},
      {"dropped_iterations{team:x}", {"count==0"}},
      // k6 reads keys and values without the spaces and quotes around them.
      {"http_reqs{ team : 'x' , scenario:\"a\"}", {"count==10"}},
  };
  const output::RunReport r = output::build_report(result, measures, thresholds, scv2::find_script("infer_constant_vu"),
                                                   output::RunInfo{});
  int checked = 0;
  for (const auto& m : r.metrics) {
    if (!m.has_thresholds || m.name.find('{') == std::string::npos) continue;
    ++checked;
    ASSERT_EQ(m.thresholds.size(), 1u) << m.name;
    EXPECT_FALSE(m.thresholds[0].failed) << m.name << " count " << m.count;
  }
  EXPECT_EQ(checked, 8);
}

TEST(ReportSelectors, AThresholdSubmetricsParentIsReportedWithZerosWhenNothingWasRecorded) {
  load::ScenarioConfig a;
  Shards sa;
  record(sa, {{response(200), 3}});
  load::RunResult result;
  result.totals = std::make_unique<load::Shard>();
  result.totals->merge(sa.run);
  const std::vector<output::ScenarioMeasures> measures = {{&a, &sa.run, &sa.protocols, 0}};
  // No gRPC call was made: k6 still shows grpc_req_duration, registered with its submetric.
  const std::vector<scv2::ThresholdDecl> thresholds = {{"grpc_req_duration{scenario:default}", {"max>=0"}},
                                                       {"http_reqs{scenario:default}", {}}};
  const output::RunReport r = output::build_report(result, measures, thresholds, scv2::find_script("infer_constant_vu"),
                                                   output::RunInfo{});
  auto find = [&](const std::string& name) -> const metrics::MetricSummary* {
    for (const auto& m : r.metrics)
      if (m.name == name) return &m;
    return nullptr;
  };
  const metrics::MetricSummary* grpc = find("grpc_req_duration");
  ASSERT_NE(grpc, nullptr);
  EXPECT_TRUE(output::is_reported(*grpc));
  EXPECT_EQ(grpc->type, metrics::MetricType::trend);
  EXPECT_EQ(grpc->trend->count(), 0u);
  const metrics::MetricSummary* reqs = find("http_reqs");
  ASSERT_NE(reqs, nullptr);
  EXPECT_EQ(reqs->count, 3);
  // A metric no threshold names stays out while it has no samples.
  for (const auto& m : r.metrics) {
    if (m.name == "grpc_req_duration_intended") {
      EXPECT_FALSE(output::is_reported(m));
    }
  }
}

grpc::CallResult call(grpc::StatusCode status, grpc::CallFailure failure = grpc::CallFailure::none) {
  grpc::CallResult r;
  r.status = status;
  r.failure = failure;
  r.messages = status == grpc::StatusCode::ok ? 1 : 0;
  r.started_at = 1'000'000;
  r.ended_at = 3'000'000;
  return r;
}

// The lifecycle scripts' scheduler calls: their own checks and trend, their own accounting, and
// nothing of theirs in the data plane's metrics.
TEST(ControlChecks, ApartFromTheDataPlaneAndInTheOrderAnIterationMakesThem) {
  using scenario::ControlCheck;
  Shards s;
  scenario::ControlMetrics& c = s.protocols.control;
  // Recorded in an order unlike an iteration's: the report orders them.
  scenario::record_control(c, ControlCheck::unload_model, call(grpc::StatusCode::ok), true);
  scenario::record_control(c, ControlCheck::model_status, call(grpc::StatusCode::ok), true);
  scenario::record_control(c, ControlCheck::model_status, call(grpc::StatusCode::ok), false);  // ModelFailed
  scenario::record_control(c, ControlCheck::load_model, call(grpc::StatusCode::failed_precondition), false);
  scenario::record_control(c, ControlCheck::load_model, call(grpc::StatusCode::ok), true);
  scenario::record_control(c, ControlCheck::load_model,
                           call(grpc::StatusCode::deadline_exceeded, grpc::CallFailure::timeout), false);
  scenario::record_control(c, ControlCheck::unload_model,
                           call(grpc::StatusCode::cancelled, grpc::CallFailure::interrupted), false);
  scenario::record_grpc(s.protocols, s.run, call(grpc::StatusCode::ok));
  record(s, {{response(200), 2}});

  EXPECT_EQ(c.calls, 6u);  // the interrupted call has no sample
  EXPECT_EQ(c.duration.count(), 6u);
  EXPECT_EQ(c.requests.issued, 7u);
  // A poll that finds ModelFailed fails its check, but the call itself went well.
  EXPECT_EQ(c.requests.ok, 4u);
  EXPECT_EQ(c.requests.failed, 1u);
  EXPECT_EQ(c.requests.timed_out, 1u);
  EXPECT_EQ(c.requests.interrupted, 1u);

  load::RunResult result;
  result.totals = std::make_unique<load::Shard>();
  result.totals->merge(s.run);
  const load::ScenarioConfig scenario;
  const scv2::Script& script = scv2::find_script("infer_constant_vu");
  const std::vector<output::ScenarioMeasures> measures = {{&scenario, result.totals.get(), &s.protocols, 0}};
  const output::RunReport r = output::build_report(result, measures, script.thresholds, script, output::RunInfo{});

  std::vector<std::string> order;
  for (const auto& check : r.checks) order.push_back(check.name);
  EXPECT_EQ(order, (std::vector<std::string>{"load model success", "model status success", "model http prediction success",
                                             "model grpc prediction success", "unload model success"}));
  EXPECT_EQ((std::pair{r.checks[0].passes, r.checks[0].fails}), (std::pair<std::uint64_t, std::uint64_t>{1, 2}));
  EXPECT_EQ((std::pair{r.checks[1].passes, r.checks[1].fails}), (std::pair<std::uint64_t, std::uint64_t>{1, 1}));
  EXPECT_EQ((std::pair{r.checks[4].passes, r.checks[4].fails}), (std::pair<std::uint64_t, std::uint64_t>{1, 0}));
  auto metric = [&](const std::string& name) -> const metrics::MetricSummary* {
    for (const auto& m : r.metrics) {
      if (m.name == name) return &m;
    }
    return nullptr;
  };
  ASSERT_TRUE(metric("scheduler_req_duration"));
  EXPECT_EQ(metric("scheduler_req_duration")->trend->count(), 6u);
  ASSERT_TRUE(metric("grpc_req_duration"));
  EXPECT_EQ(metric("grpc_req_duration")->trend->count(), 1u);
  ASSERT_TRUE(metric("checks"));
  EXPECT_EQ(metric("checks")->nonzero, 3u + 1 + 2);
  EXPECT_EQ(metric("checks")->zero, 3u);
  // The data plane's accounting holds its own three requests only.
  EXPECT_EQ(r.info.requests.issued, 3u);
  EXPECT_EQ(r.info.scheduler_requests.issued, 7u);
}

}  // namespace
}  // namespace inferload
