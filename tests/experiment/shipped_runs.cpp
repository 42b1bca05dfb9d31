// See shipped_runs.hpp.
#include "tests/experiment/shipped_runs.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "lab/experiment/runner.hpp"
#include "tests/support/app_cluster.hpp"
#include "tests/support/temp_dir.hpp"

namespace scalelab::experiment {

nlohmann::json run_shipped(const std::string& file, const std::function<void(Experiment&)>& adjust) {
  auto x = load_experiment(std::string(SCALELAB_EXPERIMENTS_DIR) + "/" + file);
  if (adjust) adjust(x);
  testkit::TempDir dir;
  RunOptions o;
  o.lab_dir = dir / "lab";
  o.scalelab_exe = testkit::AppCluster::binary("scalelab");
  return run_experiment(x, o);
}

double probe_value(const nlohmann::json& journal, const std::string& name) {
  for (const auto& p : journal["hypothesis"]["after"]["probes"])
    if (p["name"] == name) return p["value"].get<double>();
  ADD_FAILURE() << "no probe '" << name << "' in " << journal["hypothesis"].dump();
  return 0;
}

journal::Demo run_lesson(const DemoTopic& topic) {
  testkit::TempDir dir;
  DemoOptions o;
  o.out_dir = dir / "demo";
  o.scalelab_exe = testkit::AppCluster::binary("scalelab");
  o.progress_bar = false;
  std::filesystem::path report;
  journal::Demo demo = run_demo(topic, o, &report);
  EXPECT_TRUE(std::filesystem::exists(report)) << report;
  return demo;
}

}  // namespace scalelab::experiment
