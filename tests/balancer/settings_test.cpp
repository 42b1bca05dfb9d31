// Unit tests: flags and environment, backend specs, cross-field validation.
#include "balancer/settings.hpp"

#include <stdlib.h>

#include <gtest/gtest.h>

#include "common/config.hpp"

using namespace scalelab::balancer;

namespace {
Settings parse_settings(std::vector<const char*> args) {
  Settings s;
  CLI::App app{"t"};
  add_options(app, s);
  args.insert(args.begin(), "t");
  app.parse(static_cast<int>(args.size()), const_cast<char**>(args.data()));
  return s;
}
}  // namespace

TEST(Settings, Defaults) {
  Settings s = parse_settings({});
  EXPECT_EQ(finish(s), "");
  EXPECT_EQ(s.listen_address.str(), "127.0.0.1:8080");
  EXPECT_EQ(s.admin_address.str(), "127.0.0.1:8079");
  EXPECT_EQ(s.algorithm, Algorithm::round_robin);
  EXPECT_EQ(s.threads, 1);
  EXPECT_EQ(s.max_conns_per_backend, 8);
  EXPECT_EQ(s.health_path, "/readyz");
}

TEST(Settings, BackendSpecs) {
  auto a = parse_backend_spec("app-1=127.0.0.1:8081");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->id, "app-1");
  EXPECT_EQ(a->address.str(), "127.0.0.1:8081");
  auto b = parse_backend_spec("localhost:9000");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, "localhost:9000");
  EXPECT_FALSE(parse_backend_spec("app 1=127.0.0.1:1"));
  EXPECT_FALSE(parse_backend_spec("=127.0.0.1:1"));
  EXPECT_FALSE(parse_backend_spec("127.0.0.1"));
  EXPECT_FALSE(parse_backend_spec("x=127.0.0.1:99999"));
}

TEST(Settings, FlagsAndEnvironment) {
  ::setenv("SCALELAB_BALANCER_ALGORITHM", "least_conn", 1);
  ::setenv("SCALELAB_BALANCER_BACKENDS", "a=127.0.0.1:1,b=127.0.0.1:2", 1);
  Settings s = parse_settings({"--threads", "2", "--retries", "1"});
  ::unsetenv("SCALELAB_BALANCER_ALGORITHM");
  ::unsetenv("SCALELAB_BALANCER_BACKENDS");
  ASSERT_EQ(finish(s), "");
  EXPECT_EQ(s.algorithm, Algorithm::least_conn);
  ASSERT_EQ(s.backend_specs.size(), 2u);
  EXPECT_EQ(s.backend_specs[1].id, "b");
  EXPECT_EQ(s.threads, 2);
}

TEST(Settings, CrossFieldErrors) {
  Settings dup = parse_settings({"--backend", "a=127.0.0.1:1", "--backend", "a=127.0.0.1:2"});
  EXPECT_NE(finish(dup).find("duplicate"), std::string::npos);
  Settings cap = parse_settings({"--threads", "4", "--max-conns-per-backend", "2"});
  EXPECT_NE(finish(cap).find("max-conns-per-backend"), std::string::npos);
  Settings same = parse_settings({"--listen", "127.0.0.1:9", "--admin-listen", "127.0.0.1:9"});
  EXPECT_NE(finish(same), "");
}

TEST(Settings, BadValuesExitWithUsageCode) {
  for (std::vector<const char*> args : {std::vector<const char*>{"t", "--algorithm", "random"},
                                        std::vector<const char*>{"t", "--backend", "nope"},
                                        std::vector<const char*>{"t", "--threads", "0"},
                                        std::vector<const char*>{"t", "--listen", "x"}}) {
    Settings s;
    CLI::App app{"t"};
    add_options(app, s);
    EXPECT_EXIT(scalelab::config::parse_or_exit(app, static_cast<int>(args.size()), const_cast<char**>(args.data())),
                ::testing::ExitedWithCode(2), "t: ");
  }
}
