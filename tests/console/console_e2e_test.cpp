// Runs the browser test (console_e2e.mjs) against a lab brought up by the real CLI,
// and leaves its screenshot in the build tree (build/artifacts/console.png). Skips,
// saying why, when Chromium, Node.js or playwright-core is missing.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>

#include "common/process.hpp"
#include "tests/lab/lab_harness.hpp"
#include "tests/support/app_cluster.hpp"

using namespace scalelab;
using namespace scalelab::testkit;

TEST(ConsoleBrowser, KillAppTwoFromThePage) {
  if (!std::filesystem::exists("/usr/bin/chromium"))
    GTEST_SKIP() << "Chromium is not installed: apt-get install chromium (scripts/setup.sh --test does)";
  const auto node = process::find_executable("node");
  if (!node) GTEST_SKIP() << "Node.js is not installed: apt-get install nodejs";
  const std::filesystem::path source = SCALELAB_SOURCE_DIR;
  if (!std::filesystem::exists(source / "node_modules/playwright-core/package.json"))
    GTEST_SKIP() << "playwright-core is not installed: npm ci at " << source << " (scripts/setup.sh does)";

  LabHarness lab;
  lab.up({"--instances", "3"});
  const auto artifacts = std::filesystem::path(SCALELAB_BINARY_DIR) / "artifacts";
  std::filesystem::create_directories(artifacts);
  const auto screenshot = artifacts / "console.png";
  std::filesystem::remove(screenshot);
  const auto out = lab.dir() / "console_e2e.out";

  process::SpawnOptions o;
  o.argv = {*node, (source / "tests/console/console_e2e.mjs").string(),
            "--console", "http://127.0.0.1:" + std::to_string(lab.base_port() + 2) + "/console",
            "--scalelab", AppCluster::binary("scalelab"),
            "--dir", lab.lab_dir().string(),
            "--screenshot", screenshot.string(),
            "--timeout", "60"};
  o.log_path = out.string();
  auto p = process::Process::spawn(o);
  const auto status = p.wait_for(std::chrono::seconds(240));
  std::stringstream text;
  text << std::ifstream(out).rdbuf();
  std::cout << text.str();
  ASSERT_TRUE(status.has_value()) << "the browser test did not finish in 240 s";
  if (!status->signaled && status->code == 77) GTEST_SKIP() << text.str();
  ASSERT_TRUE(status->success()) << status->describe();
  ASSERT_TRUE(std::filesystem::exists(screenshot));
  std::cout << "artifact: " << screenshot.string() << std::endl;
  RecordProperty("screenshot", screenshot.string());
}
