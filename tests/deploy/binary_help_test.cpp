// Reading CLI11's --help: flags, environment variables and the value rules the
// compose and Kubernetes checks apply (types, ranges, choices, validators).
#include <gtest/gtest.h>

#include "tests/deploy/binary_help.hpp"

namespace scalelab::deploytest {
namespace {

const char* kHelp = R"(tool: a sample
Usage: tool [OPTIONS]

Options:
  -h,--help                   Print this help message and exit
  --listen TEXT:HOST:PORT=127.0.0.1:8080 (Env:TOOL_LISTEN)
                              proxy listener; see also --not-a-flag
  --threads INT:INT in [1 - 64]=1 (Env:TOOL_THREADS)
  --ratio FLOAT:FLOAT in [0 - 10]=0.2 (Env:TOOL_RATIO)
  --algorithm TEXT:round_robin|least_conn|sticky=round_robin (Env:TOOL_ALGORITHM)
  --progress TEXT:{auto,line,json,none}=auto (Env:TOOL_PROGRESS)
  --access-log BOOLEAN=1 (Env:TOOL_ACCESS_LOG)
  --duration TEXT:DURATION=10s (Env:TOOL_DURATION)
  --target TEXT:LOOPBACK=127.0.0.1:8080 (Env:TOOL_TARGET)
  --data-dir TEXT (Env:TOOL_DATA_DIR) a folder
)";

TEST(BinaryHelp, ReadsFlagsAndVariablesFromTheOptionColumnOnly) {
  const auto a = parse_help(kHelp);
  EXPECT_TRUE(a.flags.count("--help"));
  EXPECT_TRUE(a.flags.count("--listen"));
  EXPECT_TRUE(a.flags.count("--data-dir"));
  EXPECT_FALSE(a.flags.count("--not-a-flag")) << "prose in a description is not a flag";
  EXPECT_EQ(a.env, (std::set<std::string>{"TOOL_LISTEN", "TOOL_THREADS", "TOOL_RATIO", "TOOL_ALGORITHM", "TOOL_PROGRESS",
                                          "TOOL_ACCESS_LOG", "TOOL_DURATION", "TOOL_TARGET", "TOOL_DATA_DIR"}));
}

TEST(BinaryHelp, ChecksValuesAgainstWhatHelpPrints) {
  const auto a = parse_help(kHelp);
  auto ok = [&](const std::string& env, const std::string& value) { return a.env_rules.at(env).check(value).empty(); };
  EXPECT_TRUE(ok("TOOL_THREADS", "4"));
  EXPECT_FALSE(ok("TOOL_THREADS", "0"));
  EXPECT_FALSE(ok("TOOL_THREADS", "4s"));
  EXPECT_TRUE(ok("TOOL_RATIO", "0.5"));
  EXPECT_FALSE(ok("TOOL_RATIO", "11"));
  EXPECT_TRUE(ok("TOOL_ALGORITHM", "least_conn"));
  EXPECT_FALSE(ok("TOOL_ALGORITHM", "roundrobin"));
  EXPECT_TRUE(ok("TOOL_PROGRESS", "line"));
  EXPECT_FALSE(ok("TOOL_PROGRESS", "true"));
  EXPECT_TRUE(ok("TOOL_ACCESS_LOG", "false"));
  EXPECT_FALSE(ok("TOOL_ACCESS_LOG", "maybe"));
  EXPECT_TRUE(ok("TOOL_LISTEN", "0.0.0.0:8080"));
  EXPECT_FALSE(ok("TOOL_LISTEN", "8080"));
  EXPECT_TRUE(ok("TOOL_DURATION", "10m"));
  EXPECT_FALSE(ok("TOOL_DURATION", "ten"));
  EXPECT_TRUE(ok("TOOL_TARGET", "127.0.0.1:8080"));
  EXPECT_FALSE(ok("TOOL_TARGET", "balancer:8080")) << "scalelab load drives loopback targets only";
  EXPECT_TRUE(ok("TOOL_DATA_DIR", "/anything"));
}

}  // namespace
}  // namespace scalelab::deploytest
