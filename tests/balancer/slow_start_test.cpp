// Integration test: slow start (--slow-start-ms). A backend added to a warm pool takes a
// small share of the requests at first and an equal one once the ramp is over; the
// admin API shows its share. Real backends, a real balancer.
#include <gtest/gtest.h>

#include "tests/balancer/harness.hpp"

using namespace scalelab::balancer_test;
using namespace std::chrono_literals;

namespace {
// The share of `n` GETs that backend `id` answered.
double share_of(const Balancer& lb, const std::string& id, int n) {
  auto cli = lb.client();
  int hits = 0;
  for (int i = 0; i < n; ++i) {
    auto r = cli.Get("/echo");
    if (r && r->get_header_value("X-Instance") == id) ++hits;
  }
  return static_cast<double>(hits) / n;
}
}  // namespace

TEST(SlowStart, AnAddedBackendRampsUpToAnEqualShare) {
  TestBackend a("a"), b("b");
  Balancer lb({"--backend=a=" + a.address(), "--health-interval-ms=100", "--slow-start-ms=3000"});
  ASSERT_TRUE(eventually([&] { return lb.backend("a").value()["healthy"] == true; }));
  std::this_thread::sleep_for(3100ms);  // a is past its own ramp
  auto added = lb.admin_client().Post("/admin/backends", R"({"id":"b","address":")" + b.address() + R"("})",
                                      "application/json");
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 201);
  ASSERT_TRUE(eventually([&] { return lb.backend("b").value()["healthy"] == true; }, 5s));
  const double early_share = lb.backend("b").value()["slow_start_share"].get<double>();
  EXPECT_LT(early_share, 0.5) << "just healthy: a small share";
  EXPECT_LT(share_of(lb, "b", 200), 0.3) << "an equal share would be 0.5";
  std::this_thread::sleep_for(3100ms);
  EXPECT_EQ(lb.backend("b").value()["slow_start_share"].get<double>(), 1.0);
  EXPECT_NEAR(share_of(lb, "b", 200), 0.5, 0.05);
}

TEST(SlowStart, OffAnAddedBackendTakesAnEqualShareAtOnce) {
  TestBackend a("a"), b("b");
  Balancer lb({"--backend=a=" + a.address(), "--health-interval-ms=100"});
  lb.admin_client().Post("/admin/backends", R"({"id":"b","address":")" + b.address() + R"("})", "application/json");
  ASSERT_TRUE(eventually([&] { return lb.backend("b").value()["healthy"] == true; }, 5s));
  EXPECT_EQ(lb.backend("b").value()["slow_start_share"].get<double>(), 1.0);
  EXPECT_NEAR(share_of(lb, "b", 200), 0.5, 0.05);
}
