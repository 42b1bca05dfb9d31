// The local (in-process) backends: the same contracts as the shared ones, kept in this
// process only.
#include <thread>

#include <gtest/gtest.h>

#include "common/ids.hpp"
#include "store/cache.hpp"
#include "store/cart_store.hpp"
#include "store/lru.hpp"
#include "store/rate_limiter.hpp"
#include "store/session_store.hpp"

using namespace scalelab::store;
using namespace std::chrono_literals;

TEST(LocalSessions, CreateGetTouchDestroy) {
  StoreMetrics metrics;
  auto sessions = make_local_session_store(metrics, 60s);
  Session s = sessions->create("alice", "app-1");
  EXPECT_TRUE(scalelab::ids::is_token(s.id));
  EXPECT_EQ(s.user, "alice");
  EXPECT_EQ(s.created_by, "app-1");
  EXPECT_GT(s.created_at_ms, 0);
  auto got = sessions->get(s.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->requests, 0);
  EXPECT_EQ(sessions->touch(s.id)->requests, 1);
  EXPECT_EQ(sessions->touch(s.id)->requests, 2);
  EXPECT_TRUE(sessions->destroy(s.id));
  EXPECT_FALSE(sessions->get(s.id));
  EXPECT_FALSE(sessions->touch(s.id));
  EXPECT_FALSE(sessions->destroy(s.id));
}

TEST(LocalSessions, IdsRotateAndNeverCollide) {
  StoreMetrics metrics;
  auto sessions = make_local_session_store(metrics, 60s);
  EXPECT_NE(sessions->create("a", "x").id, sessions->create("a", "x").id);
}

TEST(LocalSessions, ExpireUnlessTouched) {
  StoreMetrics metrics;
  auto sessions = make_local_session_store(metrics, 1s);
  Session idle = sessions->create("idle", "app-1");
  Session busy = sessions->create("busy", "app-1");
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(250ms);
    ASSERT_TRUE(sessions->touch(busy.id)) << "a touched session must slide its expiry";
  }
  EXPECT_FALSE(sessions->get(idle.id));
  EXPECT_TRUE(sessions->get(busy.id));
}

TEST(LocalCarts, AddAccumulatesPerSku) {
  StoreMetrics metrics;
  auto carts = make_local_cart_store(metrics, 60s);
  EXPECT_EQ(carts->add("s1", "sku-b", 2), 2);
  EXPECT_EQ(carts->add("s1", "sku-a", 1), 1);
  EXPECT_EQ(carts->add("s1", "sku-b", 3), 5);
  EXPECT_EQ(carts->items("s1"), (std::vector<CartLine>{{"sku-a", 1}, {"sku-b", 5}}));
  EXPECT_TRUE(carts->items("s2").empty());
  carts->clear("s1");
  EXPECT_TRUE(carts->items("s1").empty());
}

TEST(LocalCarts, ConcurrentAddsLoseNothing) {
  StoreMetrics metrics;
  auto carts = make_local_cart_store(metrics, 60s);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) carts->add("s", "sku", 1);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(carts->items("s"), (std::vector<CartLine>{{"sku", 4000}}));
}

TEST(Lru, EvictsLeastRecentlyUsed) {
  LruMap<std::string, int> lru(2);
  lru.put("a", 1, 60s);
  lru.put("b", 2, 60s);
  EXPECT_EQ(lru.get("a"), 1);  // a is now the most recent
  lru.put("c", 3, 60s);        // evicts b
  EXPECT_FALSE(lru.get("b"));
  EXPECT_EQ(lru.get("a"), 1);
  EXPECT_EQ(lru.get("c"), 3);
  EXPECT_EQ(lru.size(), 2u);
  EXPECT_TRUE(lru.erase("a"));
  EXPECT_FALSE(lru.erase("a"));
}

TEST(Lru, EntriesExpire) {
  LruMap<std::string, int> lru(4);
  lru.put("short", 1, 50ms);
  lru.put("long", 2, 60s);
  std::this_thread::sleep_for(80ms);
  EXPECT_FALSE(lru.get("short"));
  EXPECT_EQ(lru.get("long"), 2);
  EXPECT_EQ(lru.size(), 1u);
}

TEST(LocalCache, GetPutInvalidate) {
  StoreMetrics metrics;
  auto cache = make_local_cache(metrics, 100);
  EXPECT_FALSE(cache->get("k"));
  EXPECT_TRUE(cache->put("k", "v1", 1, 60s));
  EXPECT_EQ(cache->get("k"), "v1");
  EXPECT_TRUE(cache->invalidate("k", 2, 60s));
  EXPECT_FALSE(cache->get("k"));
  EXPECT_FALSE(cache->invalidate("k", 2, 60s));
}

TEST(LocalCache, VersionsOnlyMoveForward) {
  StoreMetrics metrics;
  auto cache = make_local_cache(metrics, 100);
  cache->put("k", "v2", 2, 60s);
  EXPECT_FALSE(cache->put("k", "v1", 1, 60s)) << "an older version must not replace a newer one";
  EXPECT_EQ(cache->get("k"), "v2");
  // The cache-aside race: a reader fetched v2, a writer stored v3 and invalidated;
  // the reader's late put of v2 must not resurrect it.
  cache->invalidate("k", 3, 60s);
  EXPECT_FALSE(cache->put("k", "v2", 2, 60s));
  EXPECT_FALSE(cache->get("k"));
  EXPECT_TRUE(cache->put("k", "v3", 3, 60s)) << "the version the tombstone names may fill it";
  EXPECT_EQ(cache->get("k"), "v3");
  EXPECT_TRUE(may_replace(3, true, 3));
  EXPECT_FALSE(may_replace(3, false, 3));
}

TEST(RateDecision, ArithmeticAtTheEdges) {
  // Window of 10 s, now = 1005 s: window index 100, which ends at 1010.
  auto first = decide(1, 3, 10, 1005);
  EXPECT_TRUE(first.allowed);
  EXPECT_EQ(first.remaining, 2);
  EXPECT_EQ(first.window, 100);
  auto last = decide(3, 3, 10, 1005);
  EXPECT_TRUE(last.allowed);
  EXPECT_EQ(last.remaining, 0);
  auto over = decide(4, 3, 10, 1005);
  EXPECT_FALSE(over.allowed);
  EXPECT_EQ(over.retry_after_s, 5);
  EXPECT_EQ(decide(4, 3, 10, 1009).retry_after_s, 1);
}

TEST(LocalRateLimiter, AllowsExactlyTheLimitPerWindow) {
  StoreMetrics metrics;
  auto limiter = make_local_rate_limiter(metrics);
  // Use a long window so the test cannot straddle a boundary by accident.
  int allowed = 0;
  for (int i = 0; i < 25; ++i) allowed += limiter->allow("user", 10, 3600s).allowed;
  EXPECT_EQ(allowed, 10);
  EXPECT_TRUE(limiter->allow("other-user", 10, 3600s).allowed);
}
