// Unit tests: membership (add, drain, reap), DNS reconciliation, pool cap split.
#include "balancer/registry.hpp"

#include <gtest/gtest.h>

#include "balancer/worker.hpp"

using namespace scalelab::balancer;
using scalelab::net::HostPort;

namespace {
boost::asio::ip::tcp::endpoint ep(std::uint16_t port) {
  return {boost::asio::ip::make_address("127.0.0.1"), port};
}
}  // namespace

TEST(Registry, AddFindAndRejectDuplicates) {
  Metrics metrics;
  Registry r(HealthPolicy{}, &metrics);
  const auto v0 = r.version();
  ASSERT_TRUE(r.add("a", {"127.0.0.1", 1}, ep(1), Source::static_list, nullptr));
  EXPECT_GT(r.version(), v0);
  std::string error;
  EXPECT_FALSE(r.add("a", {"127.0.0.1", 2}, ep(2), Source::admin, &error));
  EXPECT_NE(error.find("exists"), std::string::npos);
  EXPECT_EQ(r.snapshot()->size(), 1u);
  EXPECT_TRUE(r.find("a"));
  EXPECT_FALSE(r.find("b"));
}

TEST(Registry, DrainThenRemoveOnlyOnceIdle) {
  Registry r(HealthPolicy{}, nullptr);
  auto a = r.add("a", {"127.0.0.1", 1}, ep(1), Source::admin, nullptr);
  r.add("b", {"127.0.0.1", 2}, ep(2), Source::admin, nullptr);
  a->in_flight = 2;
  ASSERT_TRUE(r.drain("a", true));
  EXPECT_FALSE(a->active());
  EXPECT_TRUE(r.reap_drained().empty());  // still busy
  a->in_flight = 0;
  auto gone = r.reap_drained();
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0]->id(), "a");
  EXPECT_EQ(r.snapshot()->size(), 1u);
  EXPECT_FALSE(r.drain("zzz", true));
}

TEST(Registry, DrainWithoutRemovalCanBeUndone) {
  Registry r(HealthPolicy{}, nullptr);
  auto a = r.add("a", {"127.0.0.1", 1}, ep(1), Source::admin, nullptr);
  r.drain("a", false);
  EXPECT_TRUE(r.reap_drained().empty());
  EXPECT_TRUE(r.undrain("a"));
  EXPECT_TRUE(a->active());
  r.drain("a", true);
  EXPECT_FALSE(r.undrain("a"));
}

TEST(Dns, AddsNewAddressesAndRemovesVanishedOnes) {
  Registry r(HealthPolicy{}, nullptr);
  r.add("static", {"127.0.0.9", 80}, ep(80), Source::static_list, nullptr);
  r.add("127.0.0.2:80", {"127.0.0.2", 80}, ep(80), Source::dns, nullptr);
  r.add("127.0.0.3:80", {"127.0.0.3", 80}, ep(80), Source::dns, nullptr);
  const auto change = reconcile_dns(*r.snapshot(), {{"127.0.0.3", 80}, {"127.0.0.4", 80}, {"127.0.0.4", 80}});
  ASSERT_EQ(change.to_add.size(), 1u);
  EXPECT_EQ(change.to_add[0].str(), "127.0.0.4:80");
  ASSERT_EQ(change.to_remove.size(), 1u);
  EXPECT_EQ(change.to_remove[0], "127.0.0.2:80");  // the static backend is never touched
  const auto empty = reconcile_dns(*r.snapshot(), {{"127.0.0.2", 80}, {"127.0.0.3", 80}});
  EXPECT_TRUE(empty.to_add.empty());
  EXPECT_TRUE(empty.to_remove.empty());
}

TEST(Pool, CapIsSplitAcrossLoopsWithoutExceedingIt) {
  EXPECT_EQ(pool_share(8, 1, 0), 8);
  EXPECT_EQ(pool_share(8, 3, 0) + pool_share(8, 3, 1) + pool_share(8, 3, 2), 8);
  EXPECT_EQ(pool_share(8, 3, 0), 3);
  EXPECT_EQ(pool_share(8, 3, 2), 2);
}
