// BoundedPool's reuse rules, with plain objects for connections: the newest idle
// connection is reused, a rejected or expired one never is, and the bound holds.
#include "store/bounded_pool.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace scalelab::store {
namespace {

struct FakeConn {
  int id = 0;
  bool usable = true;
};

struct Pool {
  explicit Pool(std::chrono::milliseconds max_idle, std::size_t max_size = 4)
      : pool({"test", "nowhere:0", max_size, std::chrono::milliseconds(50), std::chrono::milliseconds(1),
              std::chrono::milliseconds(2), max_idle},
             [this] {
               auto c = std::make_unique<FakeConn>();
               c->id = ++connects;
               return c;
             },
             [](FakeConn& c) { return c.usable; }) {}
  int connects = 0;
  BoundedPool<FakeConn> pool;
};

TEST(BoundedPool, TheNewestIdleConnectionIsReused) {
  Pool p(std::chrono::milliseconds(0));
  {
    auto a = p.pool.acquire();
    auto b = p.pool.acquire();
    EXPECT_EQ(a->id, 1);
    EXPECT_EQ(b->id, 2);
  }  // a back first, then b
  auto c = p.pool.acquire();
  EXPECT_EQ(c->id, 1) << "the last one checked in is reused first";
  EXPECT_EQ(p.connects, 2);
}

TEST(BoundedPool, AnUnusableIdleConnectionIsDroppedAndReplaced) {
  Pool p(std::chrono::milliseconds(0));
  { p.pool.acquire()->usable = false; }
  auto again = p.pool.acquire();
  EXPECT_EQ(again->id, 2);
  EXPECT_EQ(p.pool.open(), 1u);
}

TEST(BoundedPool, AConnectionIdleLongerThanMaxIdleIsClosedNotReused) {
  Pool p(std::chrono::milliseconds(30));
  { auto a = p.pool.acquire(); }
  { auto fresh = p.pool.acquire(); EXPECT_EQ(fresh->id, 1) << "idle for less than max_idle: reused"; }
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  auto later = p.pool.acquire();
  EXPECT_EQ(later->id, 2) << "idle past max_idle: a new connection";
  EXPECT_EQ(p.pool.open(), 1u) << "the expired one no longer counts towards the bound";
}

TEST(BoundedPool, TheBoundHoldsAndAWaiterGetsAClearError) {
  Pool p(std::chrono::milliseconds(0), 1);
  auto only = p.pool.acquire();
  EXPECT_THROW(p.pool.acquire(), StoreUnavailable);
}

}  // namespace
}  // namespace scalelab::store
