// How the lab starts its balancer: the command line and environment the supervisor
// derives from the lab's configuration, checked without starting anything.
#include <gtest/gtest.h>

#include <algorithm>

#include "lab/supervisor/spawn_specs.hpp"
#include "tests/support/temp_dir.hpp"

using namespace scalelab;

namespace {

// The balancer's setting `name` (SCALELAB_BALANCER_<name>) as the lab starts it, ""
// when not set. Settings the lab chooses go in the environment, so balancer_env can
// change them; a flag would win over it.
std::string balancer_setting(const lab::LabConfig& c, const std::string& name) {
  const auto o = lab::spawn_options(c, lab::Kind::balancer, "balancer", c.ports.balancer());
  const auto it = o.env.find("SCALELAB_BALANCER_" + name);
  return it == o.env.end() ? "" : it->second;
}

}  // namespace

TEST(SpawnSpecs, BalancerHoldsThreeQuartersOfAnInstancesWorkersPerBackend) {
  testkit::TempDir dir;
  lab::LabConfig c;
  c.dir = dir.path();
  EXPECT_EQ(balancer_setting(c, "MAX_CONNS_PER_BACKEND"), "24");  // the app's 32 workers
  c.app_env["SCALELAB_WORKERS"] = "8";
  EXPECT_EQ(balancer_setting(c, "MAX_CONNS_PER_BACKEND"), "6");
  c.app_env["SCALELAB_WORKERS"] = "1";
  EXPECT_EQ(balancer_setting(c, "MAX_CONNS_PER_BACKEND"), "1");
  // A value the app will refuse at start-up leaves the balancer at the default.
  for (const char* bad : {"", "many", "8x", "-4", "0"}) {
    c.app_env["SCALELAB_WORKERS"] = bad;
    EXPECT_EQ(balancer_setting(c, "MAX_CONNS_PER_BACKEND"), "24") << bad;
  }
  EXPECT_EQ(balancer_setting(c, "HEALTH_INTERVAL_MS"), "500");
}

// With a thread per connection an instance's own bound is its thread cap, not its
// workers; the balancer's share and the ceiling's slots (lab/journal/ceiling.hpp) follow.
TEST(SpawnSpecs, TheConcurrencyModelSetsWhatAnInstanceServesAtOnce) {
  testkit::TempDir dir;
  lab::LabConfig c;
  c.dir = dir.path();
  EXPECT_EQ(lab::instance_slots(c).slots, 24);
  EXPECT_EQ(lab::instance_slots(c).reason, "24 balancer connections");
  c.app_env["SCALELAB_APP_MODEL"] = "thread-per-connection";
  EXPECT_EQ(balancer_setting(c, "MAX_CONNS_PER_BACKEND"), "3072");  // of the app's 4096 threads
  c.app_env["SCALELAB_MAX_THREADS"] = "400";
  c.app_env["SCALELAB_WORKERS"] = "2";  // the pool's setting: no bound on this model
  EXPECT_EQ(balancer_setting(c, "MAX_CONNS_PER_BACKEND"), "300");
  c.balancer_env["SCALELAB_BALANCER_MAX_CONNS_PER_BACKEND"] = "1000";
  EXPECT_EQ(lab::instance_slots(c).slots, 400);
  EXPECT_EQ(lab::instance_slots(c).reason, "400 connection threads");
  c.app_env["SCALELAB_APP_MODEL"] = "pool";
  EXPECT_EQ(lab::instance_slots(c).reason, "2 workers");
}

TEST(SpawnSpecs, BalancerEnvOverridesTheLabsDefaultsButNotWhereItListens) {
  testkit::TempDir dir;
  lab::LabConfig c;
  c.dir = dir.path();
  c.balancer_env["SCALELAB_BALANCER_TRY_TIMEOUT_MS"] = "1000";
  c.balancer_env["SCALELAB_BALANCER_MAX_CONNS_PER_BACKEND"] = "4";
  c.balancer_env["SCALELAB_BALANCER_LISTEN"] = "127.0.0.1:1";
  EXPECT_EQ(balancer_setting(c, "TRY_TIMEOUT_MS"), "1000");
  EXPECT_EQ(balancer_setting(c, "MAX_CONNS_PER_BACKEND"), "4");
  EXPECT_EQ(balancer_setting(c, "HEALTH_FALL"), "2");
  const auto o = lab::spawn_options(c, lab::Kind::balancer, "balancer", c.ports.balancer());
  const auto listen = std::find(o.argv.begin(), o.argv.end(), "--listen");
  ASSERT_NE(listen, o.argv.end());
  EXPECT_EQ(*(listen + 1), "127.0.0.1:" + std::to_string(c.ports.balancer()));  // the flag beats the environment
}

TEST(SpawnSpecs, EachInstanceGetsAnAdminAddressOfItsOwnOffTheServicePort) {
  testkit::TempDir dir;
  lab::LabConfig c;
  c.dir = dir.path();
  c.ports.base = 20000;
  c.app_env["SCALELAB_ADMIN_LISTEN"] = "0.0.0.0:1";  // the lab's own choice wins
  for (int n : {1, 2, lab::Ports::kMaxInstances}) {
    const auto o = lab::spawn_options(c, lab::Kind::app, "app-" + std::to_string(n), c.ports.app(n));
    EXPECT_EQ(o.env.at("SCALELAB_LISTEN"), "127.0.0.1:" + std::to_string(20010 + n));
    EXPECT_EQ(o.env.at("SCALELAB_ADMIN_LISTEN"), "127.0.0.1:" + std::to_string(20060 + n)) << n;
  }
  // No admin port is another lab port.
  const auto& p = c.ports;
  for (int n = 1; n <= lab::Ports::kMaxInstances; ++n) {
    EXPECT_GT(p.app_admin(n), p.app(lab::Ports::kMaxInstances));
    EXPECT_LE(p.app_admin(n), p.base + lab::Ports::kSpan);
  }
  EXPECT_EQ(c.highest_port(), p.base + lab::Ports::kSpan);
}
