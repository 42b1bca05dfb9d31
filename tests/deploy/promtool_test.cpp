// promtool (Debian's prometheus package) on everything Prometheus will load: the
// compose and Kubernetes configurations with the rules beside them, each rules file,
// the rules' own unit tests (tests/deploy/promtool/), and a live /metrics of the app,
// the balancer and the fault proxy. Skips, saying so, when promtool is absent.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "tests/deploy/deploy_files.hpp"
#include "tests/deploy/expressions.hpp"
#include "tests/deploy/k8s_manifests.hpp"
#include "tests/deploy/live_stack.hpp"
#include "tests/support/temp_dir.hpp"

namespace scalelab::deploytest {
namespace {

class Promtool : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tool("promtool"))
      GTEST_SKIP() << "promtool is not installed (Debian package prometheus; scripts/setup.sh --test installs it): "
                      "Prometheus files not validated";
  }
  static CommandResult promtool(const std::vector<std::string>& args, const std::filesystem::path& cwd = {}) {
    std::vector<std::string> argv{"promtool"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, {}, cwd);
  }
  // "SUCCESS: 2 rule files found" -> 2
  static int rule_files_found(const std::string& output) {
    std::smatch m;
    return std::regex_search(output, m, std::regex(R"((\d+) rule files found)")) ? std::stoi(m[1]) : -1;
  }
  // promtool check metrics reads the exposition from stdin.
  static CommandResult check_metrics(const std::string& exposition) {
    testkit::TempDir dir("scalelab-promtool");
    std::ofstream(dir / "metrics") << exposition;
    return run({"/bin/sh", "-c", "promtool check metrics < '" + (dir / "metrics").string() + "'"});
  }
};

TEST_F(Promtool, ComposeConfigIsValidAndLoadsEveryRulesFile) {
  const auto r = promtool({"check", "config", (source_dir() / "deploy/prometheus/prometheus.yml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(rule_files_found(r.output), static_cast<int>(rule_files().size())) << r.output;
}

TEST_F(Promtool, EveryRulesFileIsValid) {
  ASSERT_GE(rule_files().size(), 2u);
  for (const auto& file : rule_files()) {
    const auto r = promtool({"check", "rules", file.string()});
    EXPECT_EQ(r.exit_code, 0) << file << ":\n" << r.output;
  }
}

TEST_F(Promtool, AlertsFireWhenTheyShouldAndOnlyThen) {
  const auto r = promtool({"test", "rules", (source_dir() / "tests/deploy/promtool/rules_test.yml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("SUCCESS"), std::string::npos) << r.output;
}

// The Kubernetes Prometheus mounts its configuration and the rules ConfigMap side by
// side (/etc/prometheus/config, /etc/prometheus/rules); rebuild that layout here.
TEST_F(Promtool, KubernetesConfigIsValidAndLoadsEveryRulesFile) {
  const auto all = load_manifests();
  const Manifest* config = find_manifest(all, "ConfigMap", "prometheus-config");
  const Manifest* rules = find_manifest(all, "ConfigMap", "prometheus-rules");
  ASSERT_TRUE(config && rules);
  testkit::TempDir dir("scalelab-k8s-prometheus");
  std::filesystem::create_directories(dir / "config");
  std::filesystem::create_directories(dir / "rules");
  std::ofstream(dir / "config" / "prometheus.yml") << config->doc["data"]["prometheus.yml"].as<std::string>();
  for (const auto& kv : rules->doc["data"])
    std::ofstream(dir / "rules" / kv.first.as<std::string>()) << kv.second.as<std::string>();
  const auto r = promtool({"check", "config", (dir / "config" / "prometheus.yml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(rule_files_found(r.output), static_cast<int>(rule_files().size())) << r.output;
}

TEST_F(Promtool, LiveMetricsOfTheBinariesPassTheLinter) {
  LiveStack stack;
  stack.drive();
  for (const auto& [what, text] : {std::pair{"scalelab-app", stack.app_metrics()},
                                   std::pair{"scalelab-balancer", stack.balancer_metrics()},
                                   std::pair{"scalelab-faultproxy", stack.faultproxy_metrics_during_fault()}}) {
    ASSERT_FALSE(text.empty()) << what;
    const auto r = check_metrics(text);
    EXPECT_EQ(r.exit_code, 0) << what << " /metrics:\n" << r.output;
    EXPECT_EQ(r.output, "") << what << " /metrics has lint findings:\n" << r.output;
  }
}

}  // namespace
}  // namespace scalelab::deploytest
