// The Grafana dashboard and its provisioning, statically: valid JSON, the structure
// Grafana needs (unique ids, a grid that fits and does not overlap, a datasource on
// every query that is the provisioned one), and the panels deploy/README.md describes. Whether
// the PromQL names exist is checked against live binaries in metric_names_test.cpp.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "tests/deploy/deploy_files.hpp"
#include "tests/deploy/expressions.hpp"
#include "tests/deploy/promql_names.hpp"

namespace scalelab::deploytest {
namespace {

const std::filesystem::path kGrafana = source_dir() / "deploy" / "grafana";

nlohmann::json dashboard() { return nlohmann::json::parse(read_file(dashboard_path())); }

YAML::Node provisioned_datasource() {
  const YAML::Node doc = YAML::LoadFile((kGrafana / "provisioning" / "datasources" / "prometheus.yml").string());
  EXPECT_EQ(doc["apiVersion"].as<int>(), 1);
  EXPECT_EQ(doc["datasources"].size(), 1u);
  return doc["datasources"][0];
}

TEST(GrafanaProvisioning, DatasourceIsPrometheusWithAFixedUid) {
  const YAML::Node ds = provisioned_datasource();
  EXPECT_EQ(ds["type"].as<std::string>(), "prometheus");
  EXPECT_FALSE(ds["uid"].as<std::string>().empty());
  EXPECT_EQ(ds["access"].as<std::string>(), "proxy");
  // The compose service name and Prometheus' port (docker-compose.yml).
  EXPECT_EQ(ds["url"].as<std::string>(), "http://prometheus:9090");
  EXPECT_TRUE(ds["isDefault"].as<bool>());
}

TEST(GrafanaProvisioning, DashboardProviderReadsFilesFromOneFolder) {
  const YAML::Node doc = YAML::LoadFile((kGrafana / "provisioning" / "dashboards" / "scalelab.yml").string());
  EXPECT_EQ(doc["apiVersion"].as<int>(), 1);
  ASSERT_EQ(doc["providers"].size(), 1u);
  const YAML::Node provider = doc["providers"][0];
  EXPECT_EQ(provider["type"].as<std::string>(), "file");
  EXPECT_EQ(provider["options"]["path"].as<std::string>(), "/var/lib/grafana/dashboards/scalelab");
}

TEST(Dashboard, IsADashboardGrafanaCanLoad) {
  const auto d = dashboard();
  ASSERT_TRUE(d.is_object());
  EXPECT_FALSE(d.value("uid", "").empty());
  EXPECT_LE(d.value("uid", "").size(), 40u) << "Grafana limits uids to 40 characters";
  EXPECT_FALSE(d.value("title", "").empty());
  EXPECT_GE(d.value("schemaVersion", 0), 36) << "datasource references by uid need schema 36+";
  EXPECT_FALSE(d.contains("id") && !d["id"].is_null()) << "a provisioned dashboard must not pin a database id";
  EXPECT_GT(all_panels(d).size(), 20u);
}

TEST(Dashboard, PanelIdsAreUniquePositiveIntegers) {
  std::set<int> ids;
  for (const auto& p : all_panels(dashboard())) {
    ASSERT_TRUE(p.contains("id") && p["id"].is_number_integer()) << p.dump();
    EXPECT_GT(p["id"].get<int>(), 0);
    EXPECT_TRUE(ids.insert(p["id"].get<int>()).second) << "duplicate panel id " << p["id"];
  }
}

TEST(Dashboard, PanelsFitTheGridWithoutOverlapping) {
  struct Box {
    int x, y, w, h, id;
  };
  std::vector<Box> boxes;
  for (const auto& p : all_panels(dashboard())) {
    ASSERT_TRUE(p.contains("gridPos")) << "panel " << p["id"];
    const auto& g = p["gridPos"];
    Box b{g.at("x").get<int>(), g.at("y").get<int>(), g.at("w").get<int>(), g.at("h").get<int>(), p["id"].get<int>()};
    EXPECT_GE(b.x, 0);
    EXPECT_GE(b.y, 0);
    EXPECT_GT(b.w, 0);
    EXPECT_GT(b.h, 0);
    EXPECT_LE(b.x + b.w, 24) << "panel " << b.id << " is wider than Grafana's 24 columns";
    boxes.push_back(b);
  }
  for (std::size_t i = 0; i < boxes.size(); ++i)
    for (std::size_t j = i + 1; j < boxes.size(); ++j) {
      const Box& a = boxes[i];
      const Box& b = boxes[j];
      const bool overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      EXPECT_FALSE(overlap) << "panels " << a.id << " and " << b.id << " overlap";
    }
}

TEST(Dashboard, EveryQueryUsesTheProvisionedDatasource) {
  const std::string uid = provisioned_datasource()["uid"].as<std::string>();
  const auto d = dashboard();
  static const std::set<std::string> kTypes{"row", "timeseries", "stat", "state-timeline", "gauge", "table", "bargauge"};
  for (const auto& p : all_panels(d)) {
    const std::string type = p.value("type", "");
    EXPECT_TRUE(kTypes.count(type)) << "panel " << p["id"] << " has an unexpected type '" << type << "'";
    EXPECT_FALSE(p.value("title", "").empty()) << "panel " << p["id"] << " has no title";
    if (type == "row") {
      EXPECT_FALSE(p.contains("targets"));
      continue;
    }
    ASSERT_TRUE(p.contains("datasource")) << "panel " << p["id"];
    EXPECT_EQ(p["datasource"].value("type", ""), "prometheus") << "panel " << p["id"];
    EXPECT_EQ(p["datasource"].value("uid", ""), uid) << "panel " << p["id"];
    const auto targets = p.value("targets", nlohmann::json::array());
    EXPECT_FALSE(targets.empty()) << "panel " << p["id"] << " queries nothing";
    std::set<std::string> ref_ids;
    for (const auto& t : targets) {
      EXPECT_FALSE(t.value("expr", "").empty()) << "panel " << p["id"];
      EXPECT_TRUE(ref_ids.insert(t.value("refId", "")).second) << "panel " << p["id"] << " repeats a refId";
      EXPECT_EQ(t.value("datasource", nlohmann::json::object()).value("uid", ""), uid) << "panel " << p["id"];
    }
  }
  for (const auto& v : d["templating"]["list"])
    if (v.value("type", "") == "query") {
      EXPECT_EQ(v["datasource"].value("uid", ""), uid) << "variable " << v["name"];
    }
}

TEST(Dashboard, VariablesUsedInQueriesAreDefined) {
  const auto d = dashboard();
  std::set<std::string> defined{"__rate_interval", "__interval", "__range", "__range_s", "__range_ms"};
  for (const auto& v : d["templating"]["list"]) defined.insert(v.value("name", ""));
  const std::regex variable(R"(\$\{?([A-Za-z_][A-Za-z0-9_]*))");
  for (const auto& e : dashboard_expressions(d))
    for (auto it = std::sregex_iterator(e.expr.begin(), e.expr.end(), variable); it != std::sregex_iterator(); ++it)
      EXPECT_TRUE(defined.count((*it)[1])) << e.where << " uses $" << (*it)[1] << ", which is not defined";
}

// The panels an operator needs to see the lab's lessons (per-instance rates, errors and
// latency, the balancer's distribution, retries, ejections, health, session and upload
// misses, the state mode, store errors, the database's connections against its
// budget), each recognised by the series it must query.
TEST(Dashboard, HasThePanelsTheIssueAsksFor) {
  std::multimap<std::string, std::string> queried;  // metric -> matcher text
  for (const auto& e : dashboard_expressions(dashboard())) {
    for (const auto& s : promql_names(e.expr).selectors) {
      std::string matchers;
      for (const auto& m : s.matchers) matchers += m.label + m.op + m.value + ",";
      queried.emplace(s.metric, matchers);
    }
  }
  auto queries = [&](const std::string& metric, const std::string& matcher = "") {
    auto [begin, end] = queried.equal_range(metric);
    for (auto it = begin; it != end; ++it)
      if (it->second.find(matcher) != std::string::npos) return true;
    return false;
  };
  struct Wanted {
    const char* metric;
    const char* matcher;
    const char* what;
  };
  static const Wanted kWanted[] = {
      {"instance:app_requests:rate1m", "", "RPS per instance"},
      {"instance:app_request_errors:rate1m", "", "errors per instance"},
      {"instance:app_request_duration_seconds:p50_rate1m", "", "p50 per instance"},
      {"instance:app_request_duration_seconds:p99_rate1m", "", "p99 per instance"},
      {"backend:balancer_request_share:ratio_rate1m", "", "the balancer's distribution"},
      {"balancer_retries_total", "", "retries"},
      {"balancer_ejections_total", "", "ejections"},
      {"balancer_backend_healthy", "", "health per backend"},
      {"app_session_lookups_total", "result=missing", "session misses"},
      {"app_upload_reads_total", "result=missing", "upload misses"},
      {"app_state_mode", "", "state mode per instance"},
      {"app_store_errors_total", "", "store errors per instance"},
      {"store_operations_total", "result=error", "store operation errors"},
      {"pg_stat_activity_count", "", "the server's connections"},
      {"pg_settings_max_connections", "", "the connection budget"},
      {"db_pool_size", "", "instances x pool size"},
      {"db_pool_waiting", "", "pool waiters"},
      {"db_errors_total", "", "database errors by cause"},
      {"db_queries_per_request_bucket", "", "queries per request"},
  };
  for (const Wanted& w : kWanted) EXPECT_TRUE(queries(w.metric, w.matcher)) << w.what;
}

}  // namespace
}  // namespace scalelab::deploytest
