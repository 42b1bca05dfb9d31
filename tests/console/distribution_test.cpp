// The balancer's share of recent answers: it must fall to zero for a backend that
// stopped answering, however much it answered before.
#include <gtest/gtest.h>

#include "lab/console/distribution.hpp"

using scalelab::console::Distribution;

TEST(Distribution, SharesOfTheRecentAnswers) {
  Distribution d;
  d.add(100, {{"app-1", 1000}, {"app-2", 1000}, {"app-3", 1000}});
  d.add(101, {{"app-1", 1010}, {"app-2", 1010}, {"app-3", 1010}});
  auto now = d.over(1);
  EXPECT_DOUBLE_EQ(now["app-2"].rps, 10);
  EXPECT_NEAR(*now["app-2"].share, 1.0 / 3, 1e-12);
  // app-2 dies: nothing more from it, while the cumulative share stays near a third.
  for (int t = 102; t <= 107; ++t)
    d.add(t, {{"app-1", 1010 + 15.0 * (t - 101)}, {"app-2", 1010}, {"app-3", 1010 + 15.0 * (t - 101)}});
  auto recent = d.over(5);
  EXPECT_DOUBLE_EQ(*recent["app-2"].share, 0);
  EXPECT_DOUBLE_EQ(recent["app-2"].rps, 0);
  EXPECT_DOUBLE_EQ(*recent["app-1"].share, 0.5);
  EXPECT_DOUBLE_EQ(recent["app-1"].rps, 15);
}

TEST(Distribution, IdleMeansNoShare) {
  Distribution d;
  EXPECT_TRUE(d.over(5).empty());
  d.add(1, {{"app-1", 5}});
  EXPECT_FALSE(d.over(5)["app-1"].share.has_value());
  d.add(2, {{"app-1", 5}});
  EXPECT_FALSE(d.over(5)["app-1"].share.has_value());
  EXPECT_EQ(d.over(5)["app-1"].rps, 0);
}

TEST(Distribution, NewBackendsAndABalancerRestart) {
  Distribution d;
  d.add(1, {{"app-1", 100}});
  d.add(2, {{"app-1", 110}, {"app-4", 500}});  // app-4 joins with an old count (ids keep counters)
  d.add(3, {{"app-1", 120}, {"app-4", 510}});
  auto r = d.over(5);
  EXPECT_DOUBLE_EQ(*r["app-4"].share, 10.0 / 30);  // counted from its first record, not from 500
  d.add(4, {{"app-1", 3}, {"app-4", 3}});          // the balancer restarted
  r = d.over(1);
  EXPECT_DOUBLE_EQ(r["app-1"].rps, 3);
}
