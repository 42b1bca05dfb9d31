// The rules must work where `scalelab up --prometheus` loads them: the configuration
// the lab's supervisor really generates (lab/supervisor/spawn_specs.cpp) picks up
// deploy/prometheus/rules/*.yml, and promtool accepts it with every rules file.
#include <gtest/gtest.h>

#include <regex>

#include "lab/supervisor/spawn_specs.hpp"
#include "tests/deploy/deploy_files.hpp"
#include "tests/deploy/expressions.hpp"
#include "tests/support/temp_dir.hpp"

namespace scalelab::deploytest {
namespace {

TEST(LabPrometheus, GeneratedConfigLoadsTheDeployRules) {
  if (!tool("promtool")) GTEST_SKIP() << "promtool is not installed (Debian package prometheus): not validated";
  testkit::TempDir dir("scalelab-lab-prometheus");
  lab::LabConfig config;
  config.dir = dir.path();
  config.prometheus = true;
  lab::write_prometheus_config(config);
  lab::write_prometheus_targets(config, {{"app-1", config.ports.app(1)}, {"app-2", config.ports.app(2)}});
  const auto yml = dir / "prometheus" / "prometheus.yml";
  const std::string text = read_file(yml);
  EXPECT_NE(text.find((rules_dir() / "*.yml").string()), std::string::npos)
      << "the lab does not load deploy/prometheus/rules:\n" << text;
  // The jobs the rules and the dashboard select on.
  for (const char* job : {"job_name: app", "job_name: balancer", "job_name: faultproxy"})
    EXPECT_NE(text.find(job), std::string::npos) << text;
  const auto r = run({"promtool", "check", "config", yml.string()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.output, m, std::regex(R"((\d+) rule files found)"))) << r.output;
  EXPECT_EQ(std::stoi(m[1]), static_cast<int>(rule_files().size())) << r.output;
}

}  // namespace
}  // namespace scalelab::deploytest
