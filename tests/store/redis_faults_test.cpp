// Redis dies, freezes or never was: every call fails with StoreUnavailable within its
// timeout, nothing hangs or crashes, and the same store works again once Redis is back.
#include <signal.h>

#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "common/net.hpp"
#include "store/errors.hpp"
#include "store/session_store.hpp"
#include "tests/support/servers.hpp"

using namespace scalelab::store;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

RedisConfig fast_config(const std::string& url) {
  RedisConfig c = parse_redis_url(url);
  c.connect_timeout = 300ms;
  c.command_timeout = 300ms;
  c.checkout_timeout = 300ms;
  return c;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Retries `call` until it succeeds or `within` passes; returns whether it did.
template <class F>
bool recovers(F call, std::chrono::milliseconds within) {
  const auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    try {
      call();
      return true;
    } catch (const StoreUnavailable&) {
      std::this_thread::sleep_for(50ms);
    }
  }
  return false;
}

}  // namespace

TEST(RedisFaults, KilledRedisSurfacesAsUnavailableAndRecoversWithoutANewStore) {
  scalelab::testkit::RedisServer redis;
  StoreMetrics metrics;
  auto sessions = make_redis_session_store(std::make_shared<RedisPool>(fast_config(redis.url())), metrics, 60s);
  Session s = sessions->create("alice", "app-1");
  ASSERT_TRUE(sessions->touch(s.id));

  redis.kill(SIGKILL);
  const auto start = Clock::now();
  try {
    sessions->touch(s.id);
    FAIL() << "expected StoreUnavailable with Redis dead";
  } catch (const StoreUnavailable& e) {
    EXPECT_EQ(e.backend(), "redis");
    std::printf("[ redis ] StoreUnavailable surfaced %.2f ms after SIGKILL: %s\n", ms_since(start), e.what());
  }
  EXPECT_LT(ms_since(start), 300.0 + 200.0);
  // While it is down, calls keep failing fast, never hanging.
  for (int i = 0; i < 20; ++i) {
    const auto t = Clock::now();
    EXPECT_THROW(sessions->get(s.id), StoreUnavailable);
    EXPECT_LT(ms_since(t), 700.0);
  }

  redis.start();  // same port, same folder: the AOF brings the session back
  const auto restarted = Clock::now();
  EXPECT_TRUE(recovers([&] { sessions->get(s.id); }, 5s));
  std::printf("[ redis ] the same store answered again %.0f ms after the restart\n", ms_since(restarted));
  auto back = sessions->touch(s.id);
  ASSERT_TRUE(back) << "the acknowledged session must survive kill -9 (AOF)";
  EXPECT_EQ(back->user, "alice");
}

TEST(RedisFaults, FrozenRedisTimesOutInsteadOfHanging) {
  scalelab::testkit::RedisServer redis;
  StoreMetrics metrics;
  auto sessions = make_redis_session_store(std::make_shared<RedisPool>(fast_config(redis.url())), metrics, 60s);
  Session s = sessions->create("bob", "app-1");
  redis.kill(SIGSTOP);
  const auto start = Clock::now();
  EXPECT_THROW(sessions->get(s.id), StoreUnavailable);
  const double took = ms_since(start);
  std::printf("[ redis ] frozen Redis: StoreUnavailable after %.0f ms (command timeout 300 ms)\n", took);
  EXPECT_GE(took, 250.0);
  EXPECT_LT(took, 1500.0);
  redis.kill(SIGCONT);
  EXPECT_TRUE(recovers([&] { sessions->get(s.id); }, 5s));
  EXPECT_TRUE(sessions->get(s.id));
}

TEST(RedisFaults, ExhaustedPoolFailsAfterCheckoutTimeout) {
  scalelab::testkit::RedisServer redis;
  RedisConfig config = fast_config(redis.url());
  config.pool_size = 2;
  config.command_timeout = 1500ms;
  auto pool = std::make_shared<RedisPool>(config);
  ASSERT_TRUE(pool->ping());
  redis.kill(SIGSTOP);
  std::vector<std::thread> holders;
  for (int i = 0; i < 2; ++i) holders.emplace_back([&] { pool->ping(); });  // both wait on the frozen server
  std::this_thread::sleep_for(100ms);
  const auto start = Clock::now();
  try {
    pool->command({"PING"});
    FAIL() << "expected StoreUnavailable from an exhausted pool";
  } catch (const StoreUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("no free connection"), std::string::npos) << e.what();
  }
  EXPECT_LT(ms_since(start), 1000.0);
  redis.kill(SIGCONT);
  for (auto& t : holders) t.join();
  EXPECT_TRUE(pool->ping());
  EXPECT_LE(pool->open_connections(), 2u);
}

TEST(RedisFaults, NoServerAtAllFailsFastWithBackoff) {
  const auto port = scalelab::net::free_port();
  RedisPool pool(fast_config("redis://127.0.0.1:" + std::to_string(port)));
  try {
    pool.command({"PING"});
    FAIL();
  } catch (const StoreUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos) << e.what();
  }
  const auto start = Clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_THROW(pool.command({"PING"}), StoreUnavailable);
  EXPECT_LT(ms_since(start), 2000.0);
  EXPECT_FALSE(pool.ping());
}
