// Every PromQL expression in the Grafana dashboard and in the recording and alert
// rules names only what the binaries really export: metric names, label names,
// equality-matched label values and jobs, taken from a live /metrics of
// scalelab-app, scalelab-balancer and scalelab-faultproxy, and of PostgreSQL's
// exporter (job `postgres` in compose and Kubernetes), after traffic that makes their
// labelled series exist. Recording rules count as names once defined.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/deploy/deploy_files.hpp"
#include "tests/deploy/expressions.hpp"
#include "tests/deploy/live_stack.hpp"
#include "tests/deploy/name_check.hpp"
#include "tests/deploy/promql_names.hpp"

namespace scalelab::deploytest {
namespace {

class MetricNames_ : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    LiveStack stack;
    stack.drive();
    live_ = new std::map<std::string, MetricNames>{{"app", parse_exposition(stack.app_metrics())},
                                                   {"balancer", parse_exposition(stack.balancer_metrics())},
                                                   {"faultproxy", parse_exposition(stack.faultproxy_metrics_during_fault())},
                                                   {"postgres", parse_exposition(stack.postgres_exporter_metrics())}};
  }
  static void TearDownTestSuite() {
    delete live_;
    live_ = nullptr;
  }
  static std::map<std::string, MetricNames>* live_;
};
std::map<std::string, MetricNames>* MetricNames_::live_ = nullptr;

TEST_F(MetricNames_, TheLiveExpositionsHaveTheSeriesTheChecksNeed) {
  // If the traffic stopped producing these, the checks below would fail for the
  // wrong reason.
  EXPECT_TRUE(live_->at("app").series.count("app_store_errors_total")) << "the Redis outage made no store error";
  EXPECT_TRUE(live_->at("app").series.count("app_request_duration_seconds_bucket"));
  EXPECT_TRUE(live_->at("balancer").series.count("balancer_ejections_total"));
  EXPECT_TRUE(live_->at("faultproxy").series.count("scalelab_faultproxy_toxics_active"));
  EXPECT_TRUE(live_->at("app").series.count("db_queries_per_request_bucket")) << "the checkout reached no database";
  EXPECT_TRUE(live_->at("postgres").series.count("pg_stat_activity_count"));
}

TEST_F(MetricNames_, DashboardNamesOnlyExportedMetricsAndRecordingRules) {
  const NameChecker checker(*live_, recording_rules());
  const auto expressions = dashboard_expressions(nlohmann::json::parse(read_file(dashboard_path())));
  ASSERT_GT(expressions.size(), 30u);
  for (const auto& e : expressions)
    for (const auto& problem : checker.check(e)) ADD_FAILURE() << problem;
}

TEST_F(MetricNames_, RulesNameOnlyExportedMetricsAndRecordingRules) {
  const NameChecker checker(*live_, recording_rules());
  const auto expressions = rule_expressions();
  ASSERT_GT(expressions.size(), 30u);
  for (const auto& e : expressions)
    for (const auto& problem : checker.check(e)) ADD_FAILURE() << problem;
}

TEST_F(MetricNames_, EveryRecordingRuleIsUsed) {
  std::set<std::string> used;
  auto collect = [&](const std::vector<Expression>& expressions) {
    for (const auto& e : expressions)
      for (const auto& s : promql_names(e.expr).selectors) used.insert(s.metric);
  };
  collect(dashboard_expressions(nlohmann::json::parse(read_file(dashboard_path()))));
  collect(rule_expressions());
  for (const auto& rule : recording_rules())
    EXPECT_TRUE(used.count(rule.name)) << rule.file << " records " << rule.name << ", which nothing reads";
}

// The checker itself: it must catch the mistakes it exists for.
TEST_F(MetricNames_, TheCheckerCatchesMisspeltNamesLabelsValuesAndJobs) {
  const NameChecker checker(*live_, recording_rules());
  auto fails = [&](const std::string& expr) { return !checker.check({"probe", expr}).empty(); };
  EXPECT_FALSE(fails(R"(sum by (instance) (rate(app_session_lookups_total{job="app", result="missing"}[1m])))"));
  EXPECT_TRUE(fails("rate(app_session_lookup_total[1m])")) << "misspelt metric";
  EXPECT_TRUE(fails(R"(rate(balancer_requests_total{status="500"}[1m]))")) << "the balancer's label is code";
  EXPECT_TRUE(fails(R"(rate(app_session_lookups_total{result="lost"}[1m]))")) << "a value never exported";
  EXPECT_TRUE(fails(R"(rate(app_requests_total{job="balancer"}[1m]))")) << "wrong job";
  EXPECT_TRUE(fails("sum by (backend) (rate(app_requests_total[1m]))")) << "grouping by a label it lacks";
  EXPECT_TRUE(fails("instance:app_request:rate1m")) << "misspelt recording rule";
}

}  // namespace
}  // namespace scalelab::deploytest
