// The `scalelab` binary's own behaviours, run for real: a mistyped command, `help` and
// --version; global options after the subcommand; `logs --tail`; a balancer setting
// the lab owns refused from --balancer-env; and `experiment --keep-lab` saying where
// the lab it leaves is and how to bring it down.
#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>

#include "lab/supervisor/run_dir.hpp"
#include "tests/lab/lab_harness.hpp"

using namespace scalelab;
using namespace scalelab::testkit;

namespace {

std::size_t lines_in(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST(Cli, AMistypedCommandGetsOneLineNamingTheNearestOne) {
  LabHarness lab;
  const auto r = lab.cli({"stauts"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output, "scalelab: unknown command 'stauts'; did you mean 'status'? (scalelab help lists them)\n");
}

TEST(Cli, HelpAndVersionAnswerWithoutACommand) {
  LabHarness lab;
  const auto help = lab.cli_raw({"help"});
  EXPECT_EQ(help.exit_code, 0) << help.output;
  for (const char* command : {"up", "down", "status", "logs", "load", "experiment", "help"})
    EXPECT_NE(help.output.find(std::string("  ") + command + " "), std::string::npos) << command << "\n" << help.output;
  EXPECT_EQ(help.output.find("supervise"), std::string::npos) << "internal";
  const auto help_up = lab.cli_raw({"help", "up"});
  EXPECT_EQ(help_up.exit_code, 0);
  EXPECT_NE(help_up.output.find("SCALELAB_INSTANCES"), std::string::npos) << help_up.output;
  const auto help_bad = lab.cli_raw({"help", "stauts"});
  EXPECT_EQ(help_bad.exit_code, 2);
  EXPECT_NE(help_bad.output.find("did you mean 'status'?"), std::string::npos) << help_bad.output;
  const auto version = lab.cli_raw({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.output.rfind("scalelab ", 0), 0u) << version.output;
  EXPECT_EQ(lines_in(version.output), 1u) << version.output;
}

TEST(Cli, LogsTailStartsAtTheLastLines) {
  LabHarness lab;
  std::filesystem::create_directories(lab.lab_dir() / "logs");
  {
    std::ofstream log(lab.lab_dir() / "logs" / "app-1.log");
    for (int i = 1; i <= 5; ++i) log << R"({"msg":"line )" << i << "\"}\n";
  }
  const auto all = lab.cli({"logs", "app-1"});
  EXPECT_EQ(all.exit_code, 0);
  EXPECT_EQ(lines_in(all.output), 5u);
  const auto tail = lab.cli({"logs", "app-1", "--tail", "2"});
  EXPECT_EQ(tail.exit_code, 0);
  EXPECT_EQ(tail.output, "{\"msg\":\"line 4\"}\n{\"msg\":\"line 5\"}\n");
  EXPECT_EQ(lab.cli({"logs", "app-1", "-n", "9"}).output, all.output) << "more lines asked than the file has";
  EXPECT_EQ(lab.cli({"logs", "app-1", "--tail", "0"}).output, "");
}

TEST(Cli, GlobalOptionsWorkAfterTheSubcommand) {
  LabHarness lab;
  const auto r = lab.cli_raw({"up", "--base-port", std::to_string(lab.base_port()), "--instances", "1", "--dir",
                              lab.lab_dir().string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(lab::running_supervisor(lab.lab_dir())) << "the lab is in --dir";
  const auto status = lab.cli_raw({"status", "--dir", lab.lab_dir().string()});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("app-1"), std::string::npos) << status.output;
}

TEST(Cli, ABalancerSettingTheLabOwnsIsRefusedFromBalancerEnv) {
  LabHarness lab;
  const auto r = lab.cli({"up", "--base-port", std::to_string(lab.base_port()), "--balancer-env",
                          "SCALELAB_BALANCER_ALGORITHM=least_conn"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines_in(r.output), 1u) << r.output;
  EXPECT_NE(r.output.find("SCALELAB_BALANCER_ALGORITHM"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--lb"), std::string::npos) << r.output;
  EXPECT_FALSE(lab::running_supervisor(lab.lab_dir())) << "nothing started";
}

TEST(Cli, AKeptLabSaysWhereItIsAndHowToBringItDown) {
  LabHarness lab;
  const auto file = lab.dir() / "tiny.yaml";
  {
    std::ofstream yaml(file);
    yaml << "title: Tiny kept lab\n"
            "cluster: {instances: 1}\n"
            "load: {users: 2, duration: 2s, mix: session=1}\n"
            "steady-state-hypothesis:\n"
            "  title: it runs\n"
            "  probes:\n"
            "    - {name: every instance ready, type: ready, tolerance: true}\n"
            "method: []\n";
  }
  const auto out = lab.dir() / "runs";
  // Whatever this test asserts, no lab outlives it.
  struct DownEverything {
    LabHarness& lab;
    std::filesystem::path out;
    ~DownEverything() {
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(out, ec))
        if (lab::running_supervisor(entry.path())) lab.cli_raw({"--dir", entry.path().string(), "down"});
    }
  } guard{lab, out};
  const auto r = lab.cli_raw({"experiment", file.string(), "--out", out.string(), "--keep-lab"});
  // Found by the line the run prints, wherever the runner put it.
  const std::string marker = "stop it with: scalelab --dir ";
  const auto at = r.output.find(marker);
  ASSERT_NE(at, std::string::npos) << r.output;
  const auto start = at + marker.size();
  const std::string dir = r.output.substr(start, r.output.find(' ', start) - start);
  EXPECT_NE(r.output.find("lab:     still running in " + dir), std::string::npos) << r.output;
  EXPECT_TRUE(lab::running_supervisor(dir)) << dir;
  const auto down = lab.cli_raw({"--dir", dir, "down"});
  EXPECT_EQ(down.exit_code, 0) << down.output;
  EXPECT_NE(down.output.find("is down"), std::string::npos) << down.output;
  EXPECT_FALSE(lab::running_supervisor(dir));
}
