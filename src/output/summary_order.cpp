#include "inferload/output/summary_order.hpp"

#include <algorithm>
#include <initializer_list>

#include "inferload/output/metric_values.hpp"

namespace inferload::output {
namespace {

// Plain byte order would put "metric1" before "metric_a" and "Zeta" before "alpha"; k6 does not.
int collation_rank(unsigned char c) {
  static constexpr std::string_view kPunctuation = "\t\n\v\f\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";
  if (const auto p = kPunctuation.find(static_cast<char>(c)); p != std::string_view::npos) {
    return static_cast<int>(p);
  }
  if (c >= '0' && c <= '9') return 100 + (c - '0');
  if (c >= 'a' && c <= 'z') return 200 + (c - 'a');
  if (c >= 'A' && c <= 'Z') return 200 + (c - 'A');
  return 300 + c;
}

int collate(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const int ra = collation_rank(static_cast<unsigned char>(a[i]));
    const int rb = collation_rank(static_cast<unsigned char>(b[i]));
    if (ra != rb) return ra < rb ? -1 : 1;
  }
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  // Case only breaks ties, as a collation's tertiary level does.
  for (std::size_t i = 0; i < n; ++i) {
    const bool la = a[i] >= 'a' && a[i] <= 'z';
    const bool lb = b[i] >= 'a' && b[i] <= 'z';
    if (a[i] != b[i] && la != lb) return la ? -1 : 1;
  }
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

bool starts_with_any(std::string_view name, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](std::string_view p) { return name.starts_with(p); });
}

}  // namespace

SummaryCategory summary_category(std::string_view name) {
  if (starts_with_any(name, {"checks", "group_duration", "http_req_blocked", "http_req_connecting",
                             "http_req_receiving", "http_req_sending", "http_req_tls_handshaking",
                             "http_req_waiting"})) {
    return SummaryCategory::hidden;
  }
  if (starts_with_any(name, {"http_reqs", "http_req_failed", "http_req_duration"})) return SummaryCategory::http;
  if (starts_with_any(name, {"vus", "vus_max", "iterations", "iteration_duration", "dropped_iterations"})) {
    return SummaryCategory::execution;
  }
  if (starts_with_any(name, {"data_sent", "data_received"})) return SummaryCategory::network;
  if (name.starts_with("browser_web_vital_")) return SummaryCategory::web_vitals;
  if (name.starts_with("browser_")) return SummaryCategory::browser;
  if (name.starts_with("grpc_")) return SummaryCategory::grpc;
  if (name.starts_with("kafka_")) return SummaryCategory::kafka;
  if (name.starts_with("ws_")) return SummaryCategory::websocket;
  return SummaryCategory::custom;
}

std::string_view summary_category_title(SummaryCategory category) {
  switch (category) {
    case SummaryCategory::custom:
      return "CUSTOM";
    case SummaryCategory::http:
      return "HTTP";
    case SummaryCategory::execution:
      return "EXECUTION";
    case SummaryCategory::network:
      return "NETWORK";
    case SummaryCategory::browser:
      return "BROWSER";
    case SummaryCategory::web_vitals:
      return "WEB_VITALS";
    case SummaryCategory::grpc:
      return "GRPC";
    case SummaryCategory::kafka:
      return "KAFKA";
    case SummaryCategory::websocket:
      return "WEBSOCKET";
    case SummaryCategory::hidden:
      break;
  }
  return "";
}

bool metric_name_less(std::string_view a, std::string_view b) {
  const std::string_view pa = parent_name(a);
  const std::string_view pb = parent_name(b);
  if (const int c = collate(pa, pb); c != 0) return c < 0;
  return collate(a.substr(pa.size()), b.substr(pb.size())) < 0;
}

}  // namespace inferload::output
