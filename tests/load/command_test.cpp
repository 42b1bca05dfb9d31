// `scalelab load` flag handling: bad values end with exit code 2 and one line.
#include "lab/load/command.hpp"

#include <gtest/gtest.h>

#include "common/config.hpp"

namespace {

void parse(std::vector<const char*> args) {
  CLI::App app{"scalelab"};
  scalelab::load::add_load_command(app);
  args.insert(args.begin(), "scalelab");
  scalelab::config::parse_or_exit(app, static_cast<int>(args.size()), const_cast<char**>(args.data()));
}

}  // namespace

TEST(LoadCommand, UsageErrorsExitTwoWithOneLine) {
  EXPECT_EXIT(parse({"load", "--mix", "bogus=1"}), ::testing::ExitedWithCode(2),
              "scalelab: .*unknown scenario 'bogus'");
  EXPECT_EXIT(parse({"load", "--target", "10.1.2.3:80"}), ::testing::ExitedWithCode(2), "127.0.0.0/8");
  EXPECT_EXIT(parse({"load", "--duration", "forever"}), ::testing::ExitedWithCode(2), "duration");
  EXPECT_EXIT(parse({"load", "--users", "0"}), ::testing::ExitedWithCode(2), "users");
  EXPECT_EXIT(parse({"load", "--output", "xml"}), ::testing::ExitedWithCode(2), "output");
  EXPECT_EXIT(parse({"load", "--duration", "0s"}), ::testing::ExitedWithCode(2), "duration must be above 0");
}

TEST(LoadCommand, EnvironmentMirrorsFlagsInHelp) {
  CLI::App app{"scalelab"};
  scalelab::load::add_load_command(app);
  const std::string help = app.get_subcommand("load")->help();
  for (const char* env : {"SCALELAB_LOAD_TARGET", "SCALELAB_LOAD_USERS", "SCALELAB_LOAD_RATE", "SCALELAB_LOAD_MIX",
                          "SCALELAB_LOAD_DURATION", "SCALELAB_LOAD_OUTPUT"})
    EXPECT_NE(help.find(env), std::string::npos) << env;
}
