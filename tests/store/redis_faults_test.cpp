// Redis dies, freezes or never was: every call fails with StoreUnavailable within its
// timeout, nothing hangs or crashes, and the same store works again once Redis is back.
#include <signal.h>

#include <algorithm>
#include <atomic>
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
  auto sessions = make_redis_session_store(std::make_shared<RedisClient>(fast_config(redis.url())), metrics, 60s);
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
  auto sessions = make_redis_session_store(std::make_shared<RedisClient>(fast_config(redis.url())), metrics, 60s);
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

// Callers queued behind a round trip that never ends all fail with it, within the
// command timeout, not one timeout after another; then the client reconnects alone.
TEST(RedisFaults, FrozenRedisFailsEveryWaitingCallerWithinTheTimeout) {
  scalelab::testkit::RedisServer redis;
  RedisClient client(fast_config(redis.url()));
  ASSERT_TRUE(client.ping());
  redis.kill(SIGSTOP);
  constexpr int kCallers = 6;
  std::vector<double> took(kCallers, 0.0);
  std::atomic<int> unavailable{0};
  std::vector<std::thread> callers;
  const auto start = Clock::now();
  for (int i = 0; i < kCallers; ++i)
    callers.emplace_back([&, i] {
      try {
        client.command({"INCR", "frozen"});
      } catch (const StoreUnavailable&) {
        ++unavailable;
      }
      took[i] = ms_since(start);
    });
  for (auto& t : callers) t.join();
  EXPECT_EQ(unavailable.load(), kCallers);
  const double slowest = *std::max_element(took.begin(), took.end());
  std::printf("[ redis ] frozen Redis, %d callers: all failed within %.0f ms (command timeout 300 ms)\n", kCallers,
              slowest);
  EXPECT_LT(slowest, 1000.0);
  redis.kill(SIGCONT);
  EXPECT_TRUE(recovers([&] { client.command({"PING"}); }, 5s));
  EXPECT_EQ(client.open_connections(), 1u);
}

TEST(RedisFaults, NoServerAtAllFailsFastWithBackoff) {
  const auto port = scalelab::net::free_port();
  RedisClient client(fast_config("redis://127.0.0.1:" + std::to_string(port)));
  try {
    client.command({"PING"});
    FAIL();
  } catch (const StoreUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos) << e.what();
  }
  const auto start = Clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_THROW(client.command({"PING"}), StoreUnavailable);
  EXPECT_LT(ms_since(start), 2000.0);
  EXPECT_FALSE(client.ping());
}
