#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "inferload/output/summary_order.hpp"

namespace inferload::output {
namespace {

TEST(SummaryCategory, ByPrefixLikeK6) {
  EXPECT_EQ(summary_category("http_reqs"), SummaryCategory::http);
  EXPECT_EQ(summary_category("http_req_duration{expected_response:true}"), SummaryCategory::http);
  EXPECT_EQ(summary_category("http_req_failed"), SummaryCategory::http);
  EXPECT_EQ(summary_category("http_req_waiting"), SummaryCategory::hidden);
  EXPECT_EQ(summary_category("http_req_blocked{scenario:default}"), SummaryCategory::hidden);
  EXPECT_EQ(summary_category("checks"), SummaryCategory::hidden);
  EXPECT_EQ(summary_category("group_duration"), SummaryCategory::hidden);
  EXPECT_EQ(summary_category("vus_max"), SummaryCategory::execution);
  EXPECT_EQ(summary_category("vus_custom"), SummaryCategory::execution);
  EXPECT_EQ(summary_category("dropped_iterations"), SummaryCategory::execution);
  EXPECT_EQ(summary_category("data_sent{scenario:default}"), SummaryCategory::network);
  EXPECT_EQ(summary_category("grpc_req_duration"), SummaryCategory::grpc);
  EXPECT_EQ(summary_category("kafka_req_duration"), SummaryCategory::kafka);
  EXPECT_EQ(summary_category("kafka_reqs{scenario:default}"), SummaryCategory::kafka);
  EXPECT_EQ(summary_category_title(SummaryCategory::kafka), "KAFKA");
  // Shown after GRPC, with the other protocols.
  EXPECT_LT(SummaryCategory::grpc, SummaryCategory::kafka);
  EXPECT_LT(SummaryCategory::kafka, SummaryCategory::hidden);
  EXPECT_EQ(summary_category("ws_ping"), SummaryCategory::websocket);
  EXPECT_EQ(summary_category("browser_web_vital_lcp"), SummaryCategory::web_vitals);
  EXPECT_EQ(summary_category("browser_data_sent"), SummaryCategory::browser);
  EXPECT_EQ(summary_category("model_load_time"), SummaryCategory::custom);
  EXPECT_EQ(summary_category_title(SummaryCategory::web_vitals), "WEB_VITALS");
  EXPECT_EQ(summary_category_title(SummaryCategory::hidden), "");
}

TEST(MetricOrder, SubmetricsFollowTheirParentAndCollationRules) {
  std::vector<std::string> names = {"http_reqs",
                                    "http_req_duration_x",
                                    "http_req_duration{status:200}",
                                    "http_req_failed",
                                    "http_req_duration",
                                    "http_req_duration{expected_response:true}",
                                    "Zeta",
                                    "metric1",
                                    "metric_a",
                                    "alpha",
                                    "Alpha"};
  std::sort(names.begin(), names.end(), metric_name_less);
  EXPECT_EQ(names, (std::vector<std::string>{"alpha",
                                             "Alpha",
                                             "http_req_duration",
                                             "http_req_duration{expected_response:true}",
                                             "http_req_duration{status:200}",
                                             "http_req_duration_x",
                                             "http_req_failed",
                                             "http_reqs",
                                             "metric_a",
                                             "metric1",
                                             "Zeta"}));
  EXPECT_FALSE(metric_name_less("a", "a"));
}

}  // namespace
}  // namespace inferload::output
