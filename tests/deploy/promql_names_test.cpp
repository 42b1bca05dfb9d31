// The PromQL tokenizer the name checks rely on: it must find every metric and label
// in the shapes the dashboard and the rules use, and nothing else.
#include <gtest/gtest.h>

#include "tests/deploy/promql_names.hpp"

namespace scalelab::deploytest {
namespace {

std::vector<std::string> metrics(const std::string& expr) {
  std::vector<std::string> out;
  for (const auto& s : promql_names(expr).selectors) out.push_back(s.metric);
  return out;
}

TEST(PromqlNames, FindsMetricsInsideFunctionsAndAggregations) {
  EXPECT_EQ(metrics(R"(histogram_quantile(0.99, sum by (job, le) (rate(app_request_duration_seconds_bucket{job="app"}[1m]))))"),
            std::vector<std::string>{"app_request_duration_seconds_bucket"});
  EXPECT_EQ(metrics("sum(rate(a_total[5m])) / sum without (x) (rate(b_total[5m]))"),
            (std::vector<std::string>{"a_total", "b_total"}));
  EXPECT_EQ(metrics("count(up == 1) or vector(0)"), std::vector<std::string>{"up"});
}

TEST(PromqlNames, RecordingRuleNamesWithColonsAreMetrics) {
  EXPECT_EQ(metrics("instance:app_requests:rate1m / on (job, instance) group_left job:app_requests:rate1m"),
            (std::vector<std::string>{"instance:app_requests:rate1m", "job:app_requests:rate1m"}));
}

TEST(PromqlNames, ReadsMatchersWithEveryOperator) {
  const auto names = promql_names(R"(m{a="1", b!="2", c=~"3|4", d!~'5'})");
  ASSERT_EQ(names.selectors.size(), 1u);
  const auto& m = names.selectors[0].matchers;
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].label, "a");
  EXPECT_EQ(m[0].op, "=");
  EXPECT_EQ(m[0].value, "1");
  EXPECT_EQ(m[1].op, "!=");
  EXPECT_EQ(m[2].op, "=~");
  EXPECT_EQ(m[2].value, "3|4");
  EXPECT_EQ(m[3].op, "!~");
  EXPECT_EQ(m[3].value, "5");
}

TEST(PromqlNames, CollectsGroupingLabels) {
  const auto names = promql_names(
      "sum by (job, instance) (x) / on (job) group_left (backend) y unless ignoring(reason) z or w without(le)");
  EXPECT_EQ(names.grouping_labels,
            (std::vector<std::string>{"job", "instance", "job", "backend", "reason", "le"}));
  EXPECT_EQ(metrics("a / on(job) group_left b"), (std::vector<std::string>{"a", "b"}));
}

TEST(PromqlNames, SkipsGrafanaVariablesKeywordsNumbersAndDurations) {
  EXPECT_EQ(metrics(R"(sum(increase(x_total{instance=~"$instance"}[$__rate_interval])) > 0.01 and bool y offset 5m)"),
            (std::vector<std::string>{"x_total", "y"}));
  EXPECT_EQ(metrics("max_over_time(count by (job) (up{job=\"app\"} == 1)[10m:30s]) > 1e3"), std::vector<std::string>{"up"});
  EXPECT_EQ(metrics("rate(x[${__range}])"), std::vector<std::string>{"x"});
}

TEST(PromqlNames, StringsAndCommentsHideTheirContents) {
  EXPECT_EQ(metrics("label_replace(a, \"dst\", \"$1 not_a_metric\", \"src\", \"(.*)\") # b c\n"),
            std::vector<std::string>{"a"});
}

TEST(PromqlNames, ABareSelectorKeepsItsNameMatcher) {
  const auto names = promql_names(R"({__name__="app_info"})");
  ASSERT_EQ(names.selectors.size(), 1u);
  EXPECT_EQ(names.selectors[0].metric, "");
  EXPECT_EQ(names.selectors[0].matchers.at(0).value, "app_info");
}

TEST(PromqlNames, RejectsBrokenExpressions) {
  EXPECT_THROW(promql_names(R"(x{a="1)"), std::invalid_argument);
  EXPECT_THROW(promql_names("rate(x[5m)"), std::invalid_argument);
  EXPECT_THROW(promql_names("x{a=1}"), std::invalid_argument);
}

}  // namespace
}  // namespace scalelab::deploytest
