// Every shared backend against a real redis-server on a free port.
#include <signal.h>

#include <atomic>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "store/admission.hpp"
#include "store/cache.hpp"
#include "store/cart_store.hpp"
#include "store/catalog.hpp"
#include "store/rate_limiter.hpp"
#include "store/session_store.hpp"
#include "tests/store/catalog_contract.hpp"
#include "tests/support/servers.hpp"

using namespace scalelab::store;
using scalelab::testkit::expect_catalog_versions_only_grow;
using namespace std::chrono_literals;

class RedisBackends : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { redis_ = new scalelab::testkit::RedisServer(); }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
  }
  void SetUp() override {
    redis_->cli("FLUSHALL");
    client_ = std::make_shared<RedisClient>(parse_redis_url(redis_->url()));
  }
  static scalelab::testkit::RedisServer* redis_;
  std::shared_ptr<RedisClient> client_;
  StoreMetrics metrics_;
};
scalelab::testkit::RedisServer* RedisBackends::redis_ = nullptr;

namespace {
// A counter of `INFO stats` output, e.g. total_connections_received; -1 when absent.
long long stat_of(const std::string& info, const std::string& name) {
  const auto at = info.find(name + ":");
  return at == std::string::npos ? -1LL : std::stoll(info.substr(at + name.size() + 1));
}
}  // namespace

TEST_F(RedisBackends, ClientRunsCommandsPipelinesAndScripts) {
  EXPECT_TRUE(client_->ping());
  EXPECT_EQ(client_->command({"SET", "k", "v"}).str(), "OK");
  auto replies = client_->pipeline({{"INCR", "n"}, {"INCR", "n"}, {"GET", "k"}, {"GET", "missing"}});
  EXPECT_EQ(replies[1].integer(), 2);
  EXPECT_EQ(replies[2].str(), "v");
  EXPECT_TRUE(replies[3].is_nil());
  EXPECT_THROW(client_->command({"HGET", "k", "f"}), StoreError);  // WRONGTYPE
  RedisScript script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  EXPECT_EQ(client_->eval(script, {"n"}, {"5"}).integer(), 7);
  redis_->cli("SCRIPT FLUSH");  // as after a restart: EVALSHA fails, EVAL takes over
  EXPECT_EQ(client_->eval(script, {"n"}, {"1"}).integer(), 8);
  redis_->cli("SCRIPT FLUSH");
  auto both = client_->eval_then(script, {"n"}, {"2"}, {{"GET", "k"}, {"GET", "missing"}});
  ASSERT_EQ(both.size(), 3u);
  EXPECT_EQ(both[0].integer(), 10);
  EXPECT_EQ(both[1].str(), "v");
  EXPECT_TRUE(both[2].is_nil());
  EXPECT_THROW(client_->eval_then(script, {"n"}, {"1"}, {{"HGET", "k", "f"}}), StoreError);
}

// Arguments are lengths and bytes on the wire, never text to be read: a value holding
// Redis's own framing (CRLF, a forged command, NUL), an empty argument and one larger
// than the buffer the driver keeps all arrive as sent, and the forged DEL never runs.
// Session ids, cart items and cache values reach these commands from clients.
TEST_F(RedisBackends, HostileArgumentsArriveAsBytesAndNeverAsCommands) {
  client_->command({"SET", "victim", "still here"});
  const std::string forged =
      std::string("x\r\n*2\r\n$3\r\nDEL\r\n$6\r\nvictim\r\n") + std::string(1, '\0') + "$-1\r\n:";
  EXPECT_EQ(client_->command({"SET", forged, forged}).str(), "OK");
  EXPECT_EQ(client_->command({"GET", forged}).str(), forged);
  EXPECT_EQ(client_->command({"GET", "victim"}).str(), "still here") << "a forged command ran";
  EXPECT_EQ(client_->command({"SET", "empty", ""}).str(), "OK");
  EXPECT_EQ(client_->command({"STRLEN", "empty"}).integer(), 0);
  const std::string large(200 * 1024, '*');
  EXPECT_EQ(client_->command({"SET", "large", large}).str(), "OK");
  EXPECT_EQ(client_->command({"STRLEN", "large"}).integer(), static_cast<long long>(large.size()));
  EXPECT_EQ(client_->command({"GET", "victim"}).str(), "still here") << "after the large one, the next command";
}

// Many threads share the one multiplexed connection: every caller gets its own
// replies, in order, whatever was batched with it.
TEST_F(RedisBackends, ConcurrentCallersEachGetTheirOwnRepliesOverOneConnection) {
  constexpr int kThreads = 8, kCalls = 400;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      const std::string key = "mux:" + std::to_string(t);
      for (int i = 1; i <= kCalls; ++i) {
        const std::string value = key + ":" + std::to_string(i);
        auto replies = client_->pipeline({{"SET", key, value}, {"INCR", key + ":n"}, {"GET", key}});
        if (replies[1].integer() != i || replies[2].str() != value) ++wrong;
        if (client_->command({"ECHO", value}).str() != value) ++wrong;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(client_->open_connections(), 1u);
  const std::string info = redis_->cli("INFO stats");
  auto stat = [&](const std::string& name) { return stat_of(info, name); };
  // Commands that arrived together were read by Redis together.
  std::printf("[ redis ] %d calls from %d threads: %lld commands in %lld reads\n", 2 * kThreads * kCalls, kThreads,
              stat("total_commands_processed"), stat("total_reads_processed"));
  EXPECT_EQ(redis_->cli("GET mux:0:n"), std::to_string(kCalls));
}

// connection_per_call: every call opens a connection of its own and closes it, as a
// serverless function without connection reuse does; replies, pipelines, scripts and
// error replies behave as over the shared connection.
TEST_F(RedisBackends, APerCallClientOpensAndClosesAConnectionForEveryCall) {
  auto config = parse_redis_url(redis_->url());
  config.connection_per_call = true;
  RedisClient churning(config);
  const auto connections_before = stat_of(redis_->cli("INFO stats"), "total_connections_received");
  EXPECT_EQ(churning.command({"SET", "k", "v"}).str(), "OK");
  auto replies = churning.pipeline({{"INCR", "n"}, {"INCR", "n"}, {"GET", "k"}});
  EXPECT_EQ(replies[1].integer(), 2);
  EXPECT_EQ(replies[2].str(), "v");
  RedisScript script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  redis_->cli("SCRIPT FLUSH");  // so the script costs two calls: EVALSHA, then EVAL after NOSCRIPT
  EXPECT_EQ(churning.eval(script, {"n"}, {"5"}).integer(), 7);
  EXPECT_THROW(churning.command({"HGET", "k", "f"}), StoreError);  // WRONGTYPE
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i)
        if (churning.command({"ECHO", std::to_string(t * 100 + i)}).str() != std::to_string(t * 100 + i)) ++wrong;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(churning.connections_opened(), 105u) << "one per call";
  EXPECT_EQ(churning.open_connections(), 0u) << "each closed after its call";
  EXPECT_GE(stat_of(redis_->cli("INFO stats"), "total_connections_received") - connections_before, 105);

  // The shared client: one connection for the same calls.
  RedisClient shared(parse_redis_url(redis_->url()));
  for (int i = 0; i < 20; ++i) shared.command({"ECHO", "x"});
  EXPECT_EQ(shared.connections_opened(), 1u);
  EXPECT_EQ(shared.open_connections(), 1u);
}

TEST_F(RedisBackends, ClientSpeaksOverAUnixSocket) {
  auto config = parse_redis_url(redis_->unix_url());
  ASSERT_FALSE(config.unix_socket.empty());
  auto over_socket = std::make_shared<RedisClient>(config);
  EXPECT_EQ(over_socket->address(), config.unix_socket);
  EXPECT_TRUE(over_socket->ping());
  auto sessions = make_redis_session_store(client_, metrics_, 30s);  // written over TCP,
  Session s = sessions->create("dave", "app-1");
  RedisAdmission admission(over_socket, metrics_, 30s);                   // read over the socket
  EXPECT_EQ(admission.admit(s.id, {"user:", 3, 3600s}, {}).session->user, "dave");
}

TEST_F(RedisBackends, SessionsLiveInRedisWithTtl) {
  auto sessions = make_redis_session_store(client_, metrics_, 30s);
  Session s = sessions->create("alice", "app-1");
  EXPECT_EQ(redis_->cli("TTL sl:sess:" + s.id), "30");
  auto got = sessions->get(s.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user, "alice");
  EXPECT_EQ(got->created_by, "app-1");
  EXPECT_EQ(got->created_at_ms, s.created_at_ms);
  EXPECT_EQ(sessions->touch(s.id)->requests, 1);
  EXPECT_EQ(sessions->touch(s.id)->requests, 2);
  // A second store on another client (another instance) sees the same session.
  auto other = make_redis_session_store(std::make_shared<RedisClient>(parse_redis_url(redis_->url())), metrics_, 30s);
  EXPECT_EQ(other->touch(s.id)->requests, 3);
  EXPECT_TRUE(sessions->destroy(s.id));
  EXPECT_FALSE(other->get(s.id));
  EXPECT_FALSE(other->touch(s.id));
  EXPECT_EQ(redis_->cli("EXISTS sl:sess:" + s.id + ":n"), "0");
}

TEST_F(RedisBackends, SessionsExpireAndTouchSlides) {
  auto sessions = make_redis_session_store(client_, metrics_, 1s);
  Session idle = sessions->create("idle", "app-1");
  Session busy = sessions->create("busy", "app-1");
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(300ms);
    ASSERT_TRUE(sessions->touch(busy.id)) << "touch must slide the TTL, round " << i;
  }
  EXPECT_FALSE(sessions->get(idle.id));
  EXPECT_TRUE(sessions->get(busy.id));
}

TEST_F(RedisBackends, ConcurrentCartWritesFromEightThreadsLoseNothing) {
  auto carts = make_redis_cart_store(client_, metrics_, 60s);
  constexpr int kThreads = 8, kAdds = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAdds; ++i) {
        carts->add("session", "shared-sku", 1);
        carts->add("session", "sku-" + std::to_string(t), 2);
      }
    });
  for (auto& t : threads) t.join();
  auto items = carts->items("session");
  ASSERT_EQ(items.size(), kThreads + 1u);
  EXPECT_EQ(items.front(), (CartLine{"shared-sku", kThreads * kAdds}));
  for (std::size_t i = 1; i < items.size(); ++i) EXPECT_EQ(items[i].qty, 2 * kAdds) << items[i].sku;
  EXPECT_EQ(redis_->cli("TTL sl:cart:session"), "60");
}

TEST_F(RedisBackends, CacheInvalidationReachesEveryInstance) {
  auto cache = make_redis_cache(client_, metrics_);
  auto other = make_redis_cache(std::make_shared<RedisClient>(parse_redis_url(redis_->url())), metrics_);
  EXPECT_FALSE(cache->get("item:1"));
  EXPECT_TRUE(cache->put("item:1", "{\"v\":1}", 1, 30s));
  EXPECT_EQ(other->get("item:1"), "{\"v\":1}");
  EXPECT_TRUE(other->invalidate("item:1", 2, 30s));
  EXPECT_FALSE(cache->get("item:1"));
  cache->put("short", "x", 1, 1s);
  std::this_thread::sleep_for(1100ms);
  EXPECT_FALSE(cache->get("short"));
}

TEST_F(RedisBackends, CacheVersionsOnlyMoveForward) {
  auto cache = make_redis_cache(client_, metrics_);
  cache->put("k", "v2", 2, 30s);
  EXPECT_FALSE(cache->put("k", "v1", 1, 30s));
  EXPECT_EQ(cache->get("k"), "v2");
  cache->invalidate("k", 3, 30s);
  EXPECT_FALSE(cache->put("k", "v2", 2, 30s)) << "a late reader must not resurrect an invalidated version";
  EXPECT_FALSE(cache->get("k"));
  EXPECT_TRUE(cache->put("k", "v|3|with pipes", 3, 30s));
  EXPECT_EQ(cache->get("k"), "v|3|with pipes");
  EXPECT_FALSE(cache->invalidate("k", 2, 30s)) << "an older invalidation changes nothing";
  EXPECT_EQ(cache->get("k"), "v|3|with pipes");
}

TEST_F(RedisBackends, CatalogVersionsOnlyGrow) {
  auto catalog = make_redis_catalog(client_, metrics_, 0ms);
  expect_catalog_versions_only_grow(*catalog);
}

TEST_F(RedisBackends, CatalogLatencyIsSimulated) {
  auto catalog = make_redis_catalog(client_, metrics_, 30ms);
  catalog->seed(1);
  const auto start = std::chrono::steady_clock::now();
  catalog->get(1);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
}

TEST_F(RedisBackends, RateLimitIsAtomicUnderConcurrency) {
  // Eight "instances" (their own clients and limiters) hammer one user's limit at once:
  // exactly `limit` requests pass in the window, however they interleave.
  constexpr int kLimit = 50;
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      auto limiter = make_redis_rate_limiter(std::make_shared<RedisClient>(parse_redis_url(redis_->url())), metrics_);
      for (int i = 0; i < 40; ++i) allowed += limiter->allow("alice", kLimit, 3600s).allowed;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), kLimit);
  auto limiter = make_redis_rate_limiter(client_, metrics_);
  auto denied = limiter->allow("alice", kLimit, 3600s);
  EXPECT_FALSE(denied.allowed);
  EXPECT_GE(denied.retry_after_s, 1);
  EXPECT_TRUE(limiter->allow("bob", kLimit, 3600s).allowed);
}

TEST_F(RedisBackends, MetricsCountOperationsByResult) {
  auto registry = std::make_shared<prometheus::Registry>();
  StoreMetrics metrics(registry);
  auto sessions = make_redis_session_store(client_, metrics, 30s);
  sessions->get("missing-session-id-xxxx");
  sessions->touch(sessions->create("a", "b").id);
  bool saw_miss = false, saw_ok = false;
  for (const auto& family : registry->Collect()) {
    if (family.name != "store_operations_total") continue;
    for (const auto& m : family.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      if (labels["op"] == "session_get" && labels["result"] == "miss" && m.counter.value == 1) saw_miss = true;
      if (labels["op"] == "session_touch" && labels["result"] == "ok" && m.counter.value == 1) saw_ok = true;
    }
  }
  EXPECT_TRUE(saw_miss);
  EXPECT_TRUE(saw_ok);
}

TEST_F(RedisBackends, AdmissionAgreesWithTheStoresItStandsFor) {
  // One round trip must give what the session store, the rate limiter and the cache
  // give one by one, on the same keys: instances may use either path at once.
  auto sessions = make_redis_session_store(client_, metrics_, 30s);
  auto limiter = make_redis_rate_limiter(client_, metrics_);
  auto cache = make_redis_cache(client_, metrics_);
  RedisAdmission admission(client_, metrics_, 30s);
  const RateRule rule{"user:", 3, 3600s};
  Session s = sessions->create("al\"ice \u00e9", "app-1");
  ASSERT_EQ(sessions->touch(s.id)->requests, 1);
  redis_->cli("EXPIRE sl:sess:" + s.id + " 5");
  cache->put("item:1", R"({"id":1})", 1, 60s);
  cache->put("item:2", R"({"id":2})", 1, 60s);
  cache->invalidate("item:2", 2, 60s);  // a tombstone reads as a miss

  Admitted a = admission.admit(s.id, rule, {"item:1", "item:2", "item:3"});
  ASSERT_TRUE(a.session);
  EXPECT_EQ(a.session->user, s.user);
  EXPECT_EQ(a.session->created_by, "app-1");
  EXPECT_EQ(a.session->created_at_ms, s.created_at_ms);
  EXPECT_EQ(a.session->requests, 2) << "counted like touch()";
  EXPECT_EQ(redis_->cli("TTL sl:sess:" + s.id), "30") << "the expiry slid";
  ASSERT_TRUE(a.rate);
  EXPECT_TRUE(a.rate->allowed);
  EXPECT_EQ(a.rate->remaining, 2);
  ASSERT_EQ(a.cached.size(), 3u);
  EXPECT_EQ(a.cached[0], R"({"id":1})");
  EXPECT_FALSE(a.cached[1]);
  EXPECT_FALSE(a.cached[2]);

  // The limiter and the admission count into one window of the user.
  EXPECT_EQ(limiter->allow("user:" + s.user, 3, 3600s).remaining, 1);
  EXPECT_TRUE(admission.admit(s.id, rule, {}).rate->allowed);
  auto denied = admission.admit(s.id, rule, {}).rate;
  EXPECT_FALSE(denied->allowed);
  EXPECT_GE(denied->retry_after_s, 1);
  EXPECT_FALSE(limiter->allow("user:" + s.user, 3, 3600s).allowed);
  EXPECT_EQ(sessions->get(s.id)->requests, 4);
}

TEST_F(RedisBackends, AdmissionWithoutASessionStillReadsTheCache) {
  auto registry = std::make_shared<prometheus::Registry>();
  StoreMetrics metrics(registry);
  RedisAdmission admission(client_, metrics, 30s);
  make_redis_cache(client_, metrics)->put("item:9", "nine", 1, 60s);
  redis_->cli("SCRIPT FLUSH");  // Redis restarted: the script is sent again
  Admitted a = admission.admit("no-such-session-xxxxxxx", {"user:", 3, 3600s}, {"item:9"});
  EXPECT_FALSE(a.session);
  EXPECT_FALSE(a.rate);
  ASSERT_EQ(a.cached.size(), 1u);
  EXPECT_EQ(a.cached[0], "nine");
  EXPECT_EQ(client_->command({"KEYS", "sl:rl:*"}).size(), 0u) << "nothing counted without a session";
  bool saw_miss = false;
  for (const auto& family : registry->Collect()) {
    if (family.name != "store_operations_total") continue;
    for (const auto& m : family.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      if (labels["op"] == "admit" && labels["result"] == "miss") saw_miss = m.counter.value == 1;
    }
  }
  EXPECT_TRUE(saw_miss);
}

TEST_F(RedisBackends, AdmissionOfAMalformedSessionIsAStoreError) {
  client_->command({"SET", "sl:sess:garbagegarbagegarbage1", "not-json"});
  RedisAdmission admission(client_, metrics_, 30s);
  EXPECT_THROW(admission.admit("garbagegarbagegarbage1", {"user:", 3, 3600s}, {}), StoreError);
  client_->command({"SET", "sl:sess:garbagegarbagegarbage1", R"({"user":7})"});
  EXPECT_THROW(admission.admit("garbagegarbagegarbage1", {"user:", 3, 3600s}, {}), StoreError);
}
