// How toxics combine with connections: toxicity decided per connection, changes that
// reach live connections, and clearing that restores everything.
#include <cstdio>
#include <future>

#include <gtest/gtest.h>

#include "tests/faultproxy/harness.hpp"
#include "tests/support/servers.hpp"

using namespace scalelab;
using namespace scalelab::testkit;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

class Faults : public ::testing::Test {
 protected:
  RedisServer redis;
  InProcessProxy proxy{redis.port()};
};

constexpr double kSlow = 100;  // ms of latency used below; a plain loopback PING is < 1 ms

}  // namespace

TEST_F(Faults, ToxicityZeroAffectsNothing) {
  proxy.add({{"type", "latency"}, {"toxicity", 0.0}, {"attributes", {{"latency", kSlow}}}});
  for (int i = 0; i < 10; ++i) {
    Redis r(proxy.port());
    // Both PINGs timed, but only the second judged: the first also pays for the
    // proxy's upstream connect, which a sanitizer build on a busy machine makes slow.
    EXPECT_GT(r.timed_ping(), 0) << r.error();
    const double ms = r.timed_ping();
    EXPECT_GT(ms, 0) << r.error();
    EXPECT_LT(ms, kSlow / 2) << "connection " << i;
  }
}

TEST_F(Faults, ToxicityOneAffectsEverything) {
  proxy.add({{"type", "latency"}, {"toxicity", 1.0}, {"attributes", {{"latency", kSlow}}}});
  for (int i = 0; i < 10; ++i) {
    Redis r(proxy.port());
    EXPECT_GE(r.timed_ping(), kSlow - 1) << "connection " << i;
  }
}

TEST_F(Faults, ToxicityIsDecidedOncePerConnection) {
  proxy.add({{"type", "latency"}, {"toxicity", 0.5}, {"attributes", {{"latency", 60}}}});
  int affected = 0;
  for (int i = 0; i < 30; ++i) {
    Redis r(proxy.port());
    const bool slow_first = r.timed_ping() >= 59;
    const bool slow_second = r.timed_ping() >= 59;
    EXPECT_EQ(slow_first, slow_second) << "connection " << i << " changed its mind";
    affected += slow_first ? 1 : 0;
  }
  std::printf("[measured] latency toxicity 0.5: %d of 30 connections affected\n", affected);
  EXPECT_GE(affected, 3);  // binomial(30, 0.5) leaves [3, 27] with p < 1e-5
  EXPECT_LE(affected, 27);
}

TEST_F(Faults, AddingAndRemovingReachesLiveConnections) {
  Redis r(proxy.port());
  ASSERT_TRUE(r.ping()) << r.error();  // connected upstream before timing anything
  EXPECT_LT(r.timed_ping(), 50);
  proxy.add({{"type", "latency"}, {"name", "slow"}, {"attributes", {{"latency", 150}}}});
  EXPECT_GE(r.timed_ping(), 149);
  proxy.client().remove_toxic("redis", "slow");
  EXPECT_LT(r.timed_ping(), 50);
}

TEST_F(Faults, RemovalReleasesARequestInFlight) {
  Redis r(proxy.port(), 10s);
  ASSERT_TRUE(r.ping());
  proxy.add({{"type", "latency"}, {"name", "stuck"}, {"attributes", {{"latency", 5000}}}});
  auto pending = std::async(std::launch::async, [&] { return r.timed_ping(); });
  std::this_thread::sleep_for(200ms);
  proxy.client().remove_toxic("redis", "stuck");
  const double ms = pending.get();
  EXPECT_GT(ms, 150);
  EXPECT_LT(ms, 2000);  // not the 5 s it was held for
}

TEST_F(Faults, ClearRestoresEverything) {
  Redis idle(proxy.port());  // opened before the toxics, used after
  ASSERT_TRUE(idle.ping());
  RawSocket held(proxy.port());
  ASSERT_TRUE(held.send("PING\r\n"));
  ASSERT_EQ(held.read(7, 2s).data, "+PONG\r\n");

  proxy.add({{"type", "latency"}, {"direction", "both"}, {"attributes", {{"latency", 300}}}});
  proxy.add({{"type", "bandwidth"}, {"attributes", {{"rate", 1}}}});
  proxy.add({{"type", "slow_close"}, {"attributes", {{"delay", 2000}}}});
  proxy.add({{"type", "timeout"}, {"direction", "upstream"}});  // blackhole requests
  ASSERT_TRUE(held.send("PING\r\n"));
  EXPECT_TRUE(held.read(1, 400ms).timed_out);
  EXPECT_EQ(proxy.client().toxics("redis").size(), 4u);

  proxy.client().clear("redis");
  EXPECT_EQ(proxy.client().toxics("redis").size(), 0u);
  EXPECT_LT(idle.timed_ping(), 50) << idle.error();
  ASSERT_TRUE(held.send("PING\r\n"));
  EXPECT_EQ(held.read(7, 1s).data, "+PONG\r\n");
  Redis fresh(proxy.port());
  ASSERT_TRUE(fresh.ping()) << fresh.error();
  EXPECT_LT(fresh.timed_ping(), 50);
  RawSocket quitter(proxy.port());
  quitter.send("QUIT\r\n");
  EXPECT_EQ(quitter.read(5, 1s).data, "+OK\r\n");
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(quitter.read(1, 1s).eof);
  EXPECT_LT(ms_since(t0), 150);

  // POST /reset does the same for every proxy, down included.
  proxy.add({{"type", "down"}});
  EXPECT_FALSE(Redis(proxy.port()).ok());
  proxy.client().reset();
  Redis again(proxy.port());
  EXPECT_TRUE(again.ping()) << again.error();
}

TEST_F(Faults, StatsCountBytesAndConnections) {
  {
    Redis r(proxy.port());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(r.ping());
    const json live = proxy.stats();
    EXPECT_EQ(live["connections_active"], 1);
  }
  std::this_thread::sleep_for(100ms);  // the close reaches the proxy
  const json s = proxy.stats();
  EXPECT_EQ(s["connections_accepted"], 1);
  EXPECT_EQ(s["connections_active"], 0);
  EXPECT_EQ(s["bytes_upstream"], 5 * 14);    // "*1\r\n$4\r\nPING\r\n"
  EXPECT_EQ(s["bytes_downstream"], 5 * 7);   // "+PONG\r\n"
}

TEST_F(Faults, UpstreamDownIsCountedAndSurvived) {
  redis.kill(SIGKILL);
  RawSocket s(proxy.port());
  ASSERT_TRUE(s.connected());
  EXPECT_TRUE(s.read(1, 2s).eof);
  EXPECT_EQ(proxy.stats()["upstream_connect_failures"], 1);
  redis.start();
  Redis r(proxy.port());
  EXPECT_TRUE(r.ping()) << r.error();
}
