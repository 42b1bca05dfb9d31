#include "common/config.hpp"

#include <stdlib.h>

#include <gtest/gtest.h>

using namespace scalelab;

TEST(Config, FlagsAndEnvironmentMirrorEachOther) {
  int workers = 4;
  std::string url = "redis://127.0.0.1:6379";
  CLI::App app{"test"};
  config::option(app, "--workers", "SCALELAB_TEST_WORKERS", workers, "worker threads");
  config::option(app, "--redis-url", "SCALELAB_TEST_REDIS_URL", url, "redis");
  ::setenv("SCALELAB_TEST_WORKERS", "9", 1);
  const char* argv[] = {"test", "--redis-url", "redis://x:1"};
  app.parse(3, const_cast<char**>(argv));
  ::unsetenv("SCALELAB_TEST_WORKERS");
  EXPECT_EQ(workers, 9);
  EXPECT_EQ(url, "redis://x:1");
  const std::string help = app.help();
  EXPECT_NE(help.find("SCALELAB_TEST_WORKERS"), std::string::npos);
  EXPECT_NE(help.find("--redis-url"), std::string::npos);
}

TEST(Config, BadValuesExitWithUsageCode) {
  int workers = 4;
  CLI::App app{"test"};
  config::option(app, "--workers", "SCALELAB_TEST_WORKERS", workers, "worker threads");
  const char* argv[] = {"test", "--workers", "many"};
  EXPECT_EXIT(config::parse_or_exit(app, 3, const_cast<char**>(argv)), ::testing::ExitedWithCode(2),
              "test: .*workers");
}
