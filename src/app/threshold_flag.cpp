#include "inferload/app/threshold_flag.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "inferload/app/cli.hpp"
#include "inferload/output/report_builder.hpp"

namespace inferload::app {
namespace {

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\v\f";
  const std::size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

}  // namespace

scv2::ThresholdDecl parse_threshold_flag(std::string_view value) {
  auto fail = [&](const std::string& why) {
    throw ExitError(kExitInvalidConfig, "--threshold \"" + std::string(value) + "\": " + why);
  };
  std::size_t colon = value.find_first_of(":{");
  if (colon != std::string_view::npos && value[colon] == '{') {
    const std::size_t close = value.find('}', colon);
    if (close == std::string_view::npos) fail("the selector after the metric has no closing '}'");
    colon = value.find_first_not_of(" \t", close + 1);
    if (colon == std::string_view::npos || value[colon] != ':') fail("expected ':' after the selector's '}'");
  }
  if (colon == std::string_view::npos) fail("expected METRIC: EXPRESSION, e.g. 'http_req_duration: p(95)<500'");
  scv2::ThresholdDecl decl;
  decl.metric = std::string(trim(value.substr(0, colon)));
  if (decl.metric.empty()) fail("no metric before ':'");
  const std::string_view expression = trim(value.substr(colon + 1));
  if (expression.empty()) fail("no expression after ':'");
  decl.expressions.emplace_back(expression);
  try {
    output::check_threshold(decl);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  return decl;
}

void add_threshold(std::vector<scv2::ThresholdDecl>& thresholds, scv2::ThresholdDecl threshold) {
  const auto same = std::find_if(thresholds.begin(), thresholds.end(),
                                 [&](const scv2::ThresholdDecl& t) { return t.metric == threshold.metric; });
  if (same == thresholds.end()) {
    thresholds.push_back(std::move(threshold));
    return;
  }
  const std::size_t offset = same->expressions.size();
  for (std::string& e : threshold.expressions) same->expressions.push_back(std::move(e));
  for (scv2::ThresholdDecl::Abort ab : threshold.aborts) {
    ab.expression += offset;
    same->aborts.push_back(ab);
  }
}

}  // namespace inferload::app
