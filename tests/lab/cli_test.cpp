// The `scalelab` command line as built by lab/cli, without running it: the did-you-mean
// for a mistyped command, which words are commands, and the `load` flags (one-line
// usage errors with exit code 2, every flag's variable in --help).
#include <gtest/gtest.h>

#include "common/config.hpp"
#include "lab/cli/cli.hpp"

using namespace scalelab;

namespace {

std::string unknown(std::vector<const char*> args) {
  CLI::App root;
  cli::Context ctx;
  cli::add_commands(root, ctx);
  args.insert(args.begin(), "scalelab");
  return cli::unknown_command(root, static_cast<int>(args.size()), args.data());
}

void parse(std::vector<const char*> args) {
  CLI::App root;
  cli::Context ctx;
  cli::add_commands(root, ctx);
  args.insert(args.begin(), "scalelab");
  config::parse_or_exit(root, static_cast<int>(args.size()), const_cast<char**>(args.data()));
}

}  // namespace

TEST(Cli, ClosestNameCatchesTyposOnly) {
  const std::vector<std::string> names = {"up", "down", "status", "scale", "logs", "load", "toggle", "help"};
  EXPECT_EQ(cli::closest_name("stauts", names), "status");
  EXPECT_EQ(cli::closest_name("stat", names), "status");
  EXPECT_EQ(cli::closest_name("toggel", names), "toggle");
  EXPECT_EQ(cli::closest_name("dwon", names), "down");
  EXPECT_EQ(cli::closest_name("xyzzy", names), "");
  EXPECT_EQ(cli::closest_name("ab", names), "") << "two letters are too short to guess from";
}

TEST(Cli, AnUnknownCommandGetsOneLineWithTheNearestCommand) {
  EXPECT_EQ(unknown({"stauts"}), "unknown command 'stauts'; did you mean 'status'? (scalelab help lists them)");
  EXPECT_EQ(unknown({"--dir", "x", "stauts"}), "unknown command 'stauts'; did you mean 'status'? (scalelab help lists them)")
      << "the value of --dir is not a command";
  EXPECT_EQ(unknown({"frobnicate"}), "unknown command 'frobnicate' (scalelab help lists them)");
  EXPECT_EQ(unknown({}), "a command is required (scalelab help lists them)");
  for (auto args : std::vector<std::vector<const char*>>{
           {"status"}, {"--dir", "x", "up"}, {"up", "--dir", "x"}, {"--dir=x", "down"}, {"help"}, {"--version"}, {"--help"}})
    EXPECT_EQ(unknown(args), "") << args.front();
}

TEST(Cli, LoadUsageErrorsExitTwoWithOneLine) {
  EXPECT_EXIT(parse({"load", "--mix", "bogus=1"}), ::testing::ExitedWithCode(2), "scalelab: .*unknown scenario 'bogus'");
  EXPECT_EXIT(parse({"load", "--target", "10.1.2.3:80"}), ::testing::ExitedWithCode(2), "127.0.0.0/8");
  EXPECT_EXIT(parse({"load", "--duration", "forever"}), ::testing::ExitedWithCode(2), "duration");
  EXPECT_EXIT(parse({"load", "--users", "0"}), ::testing::ExitedWithCode(2), "users");
  EXPECT_EXIT(parse({"load", "--output", "xml"}), ::testing::ExitedWithCode(2), "output");
  EXPECT_EXIT(parse({"load", "--duration", "0s"}), ::testing::ExitedWithCode(2), "duration must be above 0");
  EXPECT_EXIT(parse({"load", "--allow-violations", "sesion_lost=1"}), ::testing::ExitedWithCode(2),
              "scalelab: --allow-violations: unknown violation kind 'sesion_lost'");
  EXPECT_EXIT(parse({"load", "--allow-violations", "stale_read=101%"}), ::testing::ExitedWithCode(2),
              "stale_read: '101%' is neither a count");
  EXPECT_EXIT(parse({"load", "--allow-failures", "lots"}), ::testing::ExitedWithCode(2),
              "scalelab: --allow-failures: 'lots' is neither a count");
}

TEST(Cli, LoadEnvironmentMirrorsFlagsInHelp) {
  CLI::App root;
  cli::Context ctx;
  cli::add_commands(root, ctx);
  const std::string help = root.get_subcommand("load")->help();
  for (const char* env : {"SCALELAB_LOAD_TARGET", "SCALELAB_LOAD_USERS", "SCALELAB_LOAD_RATE", "SCALELAB_LOAD_MIX",
                          "SCALELAB_LOAD_DURATION", "SCALELAB_LOAD_OUTPUT", "SCALELAB_LOAD_PROGRESS",
                          "SCALELAB_LOAD_ALLOW_VIOLATIONS", "SCALELAB_LOAD_ALLOW_FAILURES"})
    EXPECT_NE(help.find(env), std::string::npos) << env;
}
