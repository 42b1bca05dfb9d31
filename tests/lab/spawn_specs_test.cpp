// How the lab starts its balancer: the command line the supervisor derives from the
// lab's configuration, checked without starting anything.
#include <gtest/gtest.h>

#include <algorithm>

#include "lab/supervisor/spawn_specs.hpp"
#include "tests/support/temp_dir.hpp"

using namespace scalelab;

namespace {

// The value after `flag` on the balancer's command line, "" when absent.
std::string balancer_flag(const lab::LabConfig& c, const std::string& flag) {
  const auto o = lab::spawn_options(c, lab::Kind::balancer, "balancer", c.ports.balancer());
  const auto it = std::find(o.argv.begin(), o.argv.end(), flag);
  return it == o.argv.end() || it + 1 == o.argv.end() ? "" : *(it + 1);
}

}  // namespace

TEST(SpawnSpecs, BalancerHoldsThreeQuartersOfAnInstancesWorkersPerBackend) {
  testkit::TempDir dir;
  lab::LabConfig c;
  c.dir = dir.path();
  EXPECT_EQ(balancer_flag(c, "--max-conns-per-backend"), "24");  // the app's 32 workers
  c.app_env["SCALELAB_WORKERS"] = "8";
  EXPECT_EQ(balancer_flag(c, "--max-conns-per-backend"), "6");
  c.app_env["SCALELAB_WORKERS"] = "1";
  EXPECT_EQ(balancer_flag(c, "--max-conns-per-backend"), "1");
  // A value the app will refuse at start-up leaves the balancer at the default.
  for (const char* bad : {"", "many", "8x", "-4", "0"}) {
    c.app_env["SCALELAB_WORKERS"] = bad;
    EXPECT_EQ(balancer_flag(c, "--max-conns-per-backend"), "24") << bad;
  }
  EXPECT_EQ(balancer_flag(c, "--health-interval-ms"), "500");
}
