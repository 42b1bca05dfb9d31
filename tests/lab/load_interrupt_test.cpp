// Ctrl-C on `scalelab load` while it drives a running lab and feeds that lab's console:
// the run stops early and still prints its summary, as `scalelab load --help` promises.
// The console feed runs on a thread of its own; the signal must reach the run's waiter,
// not that thread (where its default action would end the process).
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "common/process.hpp"
#include "tests/lab/lab_harness.hpp"
#include "tests/support/app_cluster.hpp"

using namespace scalelab;
using namespace scalelab::testkit;
using nlohmann::json;
using namespace std::chrono_literals;

TEST(LabLoad, CtrlCStopsARunThatFeedsTheConsoleAndPrintsItsSummary) {
  LabHarness lab;
  lab.up({"--instances", "1"});
  const auto out = lab.dir() / "load.out";
  process::SpawnOptions o;
  o.argv = {AppCluster::binary("scalelab"), "--dir", lab.lab_dir().string(), "load", "--duration", "60s",
            "--users", "2", "--mix", "get", "--path", "/healthz", "--progress", "none"};
  o.log_path = out.string();
  auto load = process::Process::spawn(o);

  // Wait until the console shows the run: its feed's thread exists and posts.
  auto console = loopback_client(lab.base_port() + 2);
  bool shown = false;
  for (int i = 0; i < 100 && !shown; ++i) {
    std::this_thread::sleep_for(100ms);
    if (auto r = console.Get("/console/api/load"); r && r->status == 200)
      shown = json::parse(r->body, nullptr, false).value("active", false);
  }
  ASSERT_TRUE(shown) << "the lab's console never showed the run";
  std::this_thread::sleep_for(1s);

  load.signal(SIGINT);  // as a terminal's Ctrl-C: to the whole process group
  const auto ended = load.wait_for(20s);
  ASSERT_TRUE(ended) << "still running 20 s after SIGINT";
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(ended->signaled) << "ended by " << ended->describe() << ":\n" << text.str();
  EXPECT_EQ(ended->code, 0) << text.str();
  EXPECT_NE(text.str().find("scalelab load  127.0.0.1:" + std::to_string(lab.base_port())), std::string::npos)
      << "the summary names the lab's balancer:\n" << text.str();
  EXPECT_NE(text.str().find("(stopped)"), std::string::npos) << "stopped early, and says so:\n" << text.str();
}
