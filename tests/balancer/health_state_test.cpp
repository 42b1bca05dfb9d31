// Unit tests: the health state machine (first verdict, rise, fall, ejection, growth).
// Time is passed in, never waited for.
#include "balancer/health_state.hpp"

#include <gtest/gtest.h>

using namespace scalelab::balancer;
using namespace std::chrono_literals;

namespace {
HealthPolicy policy() {
  HealthPolicy p;
  p.rise = 2;
  p.fall = 3;
  p.consecutive_5xx = 3;
  p.ejection_base = 1000ms;
  p.ejection_max = 8000ms;
  return p;
}
const HealthState::time_point t0{};
}  // namespace

TEST(HealthState, FirstCheckDecidesAtOnce) {
  HealthState up(policy());
  EXPECT_EQ(up.check_state(), CheckState::unknown);
  EXPECT_FALSE(up.healthy());
  EXPECT_TRUE(up.on_check(true));
  EXPECT_TRUE(up.healthy());
  HealthState down(policy());
  down.on_check(false);
  EXPECT_EQ(down.check_state(), CheckState::unhealthy);
}

TEST(HealthState, FallAfterConsecutiveFailuresRiseAfterConsecutivePasses) {
  HealthState h(policy());
  h.on_check(true);
  EXPECT_FALSE(h.on_check(false));
  EXPECT_FALSE(h.on_check(false));
  EXPECT_TRUE(h.healthy());
  EXPECT_TRUE(h.on_check(false));  // third in a row
  EXPECT_FALSE(h.healthy());
  EXPECT_FALSE(h.on_check(true));
  EXPECT_FALSE(h.healthy());
  EXPECT_TRUE(h.on_check(true));
  EXPECT_TRUE(h.healthy());
}

TEST(HealthState, AFailureInBetweenResetsTheCount) {
  HealthState h(policy());
  h.on_check(true);
  h.on_check(false);
  h.on_check(false);
  h.on_check(true);
  h.on_check(false);
  h.on_check(false);
  EXPECT_TRUE(h.healthy());
}

TEST(HealthState, WithoutActiveChecksStartsHealthy) {
  HealthPolicy p = policy();
  p.active_checks = false;
  HealthState h(p);
  EXPECT_TRUE(h.healthy());
  EXPECT_TRUE(h.eligible(t0));
}

TEST(HealthState, ConnectFailureEjectsAtOnceForTheBaseTime) {
  HealthPolicy p = policy();
  p.active_checks = false;
  HealthState h(p);
  EXPECT_TRUE(h.on_connect_failure(t0));
  EXPECT_TRUE(h.ejected(t0 + 999ms));
  EXPECT_FALSE(h.eligible(t0 + 999ms));
  EXPECT_FALSE(h.ejected(t0 + 1000ms));
  EXPECT_TRUE(h.eligible(t0 + 1000ms));
  EXPECT_EQ(h.ejections(), 1u);
  EXPECT_FALSE(h.on_connect_failure(t0 + 10ms));  // already out: not stretched
  EXPECT_EQ(h.ejections(), 1u);
}

TEST(HealthState, ConsecutiveServerErrorsEject) {
  HealthPolicy p = policy();
  p.active_checks = false;
  HealthState h(p);
  EXPECT_FALSE(h.on_status(500, t0));
  EXPECT_FALSE(h.on_status(503, t0));
  EXPECT_FALSE(h.on_status(200, t0));  // a success breaks the streak
  EXPECT_FALSE(h.on_status(502, t0));
  EXPECT_FALSE(h.on_gateway_failure(t0));
  EXPECT_TRUE(h.on_status(500, t0));
  EXPECT_TRUE(h.ejected(t0));
  EXPECT_FALSE(h.on_status(404, t0 + 2s));  // 4xx are the client's fault
}

TEST(HealthState, EjectionGrowsOnRepeatAndIsCapped) {
  HealthPolicy p = policy();
  p.active_checks = false;
  HealthState h(p);
  auto now = t0;
  std::vector<long> lengths;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(h.on_connect_failure(now));
    lengths.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(h.ejected_until() - now).count());
    now = h.ejected_until() + 10ms;  // fails again right after coming back
  }
  EXPECT_EQ(lengths, (std::vector<long>{1000, 2000, 4000, 8000, 8000, 8000}));
}

TEST(HealthState, QuietBackendStartsAgainFromBase) {
  HealthPolicy p = policy();
  p.active_checks = false;
  HealthState h(p);
  h.on_connect_failure(t0);
  h.on_connect_failure(h.ejected_until() + 1ms);  // 2 s
  const auto back = h.ejected_until();
  h.on_connect_failure(back + 9s);  // more than ejection_max later
  EXPECT_EQ(h.ejected_until() - (back + 9s), 1000ms);
}

TEST(HealthState, EjectionAndActiveChecksCombine) {
  HealthState h(policy());
  h.on_check(true);
  h.on_connect_failure(t0);
  h.on_check(true);  // a passing check does not cut the ejection short
  EXPECT_FALSE(h.eligible(t0 + 500ms));
  EXPECT_TRUE(h.eligible(t0 + 1s));
}
