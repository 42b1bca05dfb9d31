// Each toxic measured through a real proxy in front of a real redis-server: that a toxic
// parses is not enough, it must do to the bytes and the timing what
// lab/faultproxy/README.md says. Tolerances are honest but generous: other builds and
// tests share this 2-core machine. Measured figures are printed for the record.
#include <cerrno>
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "tests/faultproxy/harness.hpp"
#include "tests/support/servers.hpp"

using namespace scalelab;
using namespace scalelab::testkit;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

class Toxics : public ::testing::Test {
 protected:
  RedisServer redis;
  InProcessProxy proxy{redis.port()};
};

struct Summary {
  double mean = 0, median = 0, min = 0, max = 0;
};

Summary summarize(std::vector<double> v) {
  Summary s;
  std::sort(v.begin(), v.end());
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  s.median = v[v.size() / 2];
  s.min = v.front();
  s.max = v.back();
  return s;
}

std::vector<double> ping_times(Redis& r, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) {
    const double ms = r.timed_ping();
    EXPECT_GT(ms, 0) << "ping " << i << ": " << r.error();
    if (ms <= 0) break;
    out.push_back(ms);
  }
  return out;
}

}  // namespace

TEST_F(Toxics, LatencyAddsItsDelayToEveryPing) {
  Redis r(proxy.port());
  ASSERT_TRUE(r.ping()) << r.error();
  const double baseline = summarize(ping_times(r, 10)).mean;
  // Added while the connection is open: it must take effect on it too. 100 ms, so that
  // the few ms a busy machine adds to each wake-up stay well inside the tolerance.
  proxy.add({{"type", "latency"}, {"attributes", {{"latency", 100}}}});
  const auto times = ping_times(r, 50);
  ASSERT_EQ(times.size(), 50u);
  const Summary s = summarize(times);
  std::printf("[measured] latency 100 ms downstream: 50 PINGs mean %.2f ms, median %.2f (min %.2f, max %.2f; "
              "baseline %.3f ms)\n", s.mean, s.median, s.min, s.max, baseline);
  RecordProperty("latency_mean_ms", std::to_string(s.mean));
  EXPECT_NEAR(s.mean, 100.0, 20.0);  // +-20 %
  EXPECT_GE(s.min, 99.0);            // a timer never fires early
}

TEST_F(Toxics, LatencyBothWaysWithJitter) {
  proxy.add({{"type", "latency"}, {"direction", "both"}, {"attributes", {{"latency", 50}, {"jitter", 20}}}});
  Redis r(proxy.port());
  const auto times = ping_times(r, 50);
  ASSERT_EQ(times.size(), 50u);
  const Summary s = summarize(times);
  std::printf("[measured] latency 50+-20 ms both ways: 50 PINGs mean %.2f ms, median %.2f (min %.2f, max %.2f), "
              "target 100\n", s.mean, s.median, s.min, s.max);
  EXPECT_NEAR(s.mean, 100.0, 20.0);  // +-20 %: the request and the reply are each delayed
  EXPECT_GE(s.min, 60.0 - 1.0);      // two draws of at least 30 ms each
  EXPECT_GT(s.max - s.min, 10.0);    // jitter spreads them
}

TEST_F(Toxics, BandwidthLimitsEachDirection) {
  const std::string value(250'000, 'v');
  {
    Redis direct(redis.port());
    ASSERT_TRUE(direct.set("big", value));
  }
  Redis r(proxy.port(), 10s);
  ASSERT_TRUE(r.ping());

  proxy.add({{"type", "bandwidth"}, {"name", "down"}, {"attributes", {{"rate", 250}}}});
  auto t0 = std::chrono::steady_clock::now();
  const auto got = r.get("big");
  const double down_s = ms_since(t0) / 1000;
  ASSERT_TRUE(got.has_value()) << r.error();
  EXPECT_EQ(got->size(), value.size());
  const double down_rate = static_cast<double>(value.size()) / down_s / 1000;

  proxy.client().clear("redis");
  proxy.add({{"type", "bandwidth"}, {"name", "up"}, {"direction", "upstream"}, {"attributes", {{"rate", 250}}}});
  t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(r.set("big2", value)) << r.error();
  const double up_rate = static_cast<double>(value.size()) / (ms_since(t0) / 1000) / 1000;

  std::printf("[measured] bandwidth 250 KB/s: downstream %.1f KB/s (GET of 250 kB in %.3f s), upstream %.1f KB/s\n",
              down_rate, down_s, up_rate);
  RecordProperty("bandwidth_down_kbs", std::to_string(down_rate));
  EXPECT_NEAR(down_rate, 250.0, 50.0);  // +-20 %
  EXPECT_NEAR(up_rate, 250.0, 50.0);
}

TEST_F(Toxics, ResetPeerResetsLiveAndNewConnections) {
  RawSocket live(proxy.port());
  ASSERT_TRUE(live.send("PING\r\n"));
  ASSERT_EQ(live.read(7, 2s).data, "+PONG\r\n");

  proxy.add({{"type", "reset_peer"}});
  const auto cut = live.read(1, 2s);
  EXPECT_EQ(cut.error, ECONNRESET) << "eof=" << cut.eof << " timed_out=" << cut.timed_out;

  RawSocket fresh(proxy.port());
  ASSERT_TRUE(fresh.connected());
  EXPECT_EQ(fresh.read(1, 2s).error, ECONNRESET);

  Redis r(proxy.port());
  EXPECT_FALSE(r.ping());
  EXPECT_NE(r.error().find("reset"), std::string::npos) << r.error();
  EXPECT_GE(proxy.stats()["resets"].get<int>(), 3);
}

TEST_F(Toxics, ResetPeerAfterItsTimeout) {
  proxy.add({{"type", "reset_peer"}, {"attributes", {{"timeout", 300}}}});
  const auto t0 = std::chrono::steady_clock::now();
  RawSocket s(proxy.port());
  ASSERT_TRUE(s.send("PING\r\n"));
  EXPECT_EQ(s.read(7, 2s).data, "+PONG\r\n");  // works until the timeout
  const auto cut = s.read(1, 3s);
  const double at = ms_since(t0);
  std::printf("[measured] reset_peer timeout 300 ms: RST after %.1f ms\n", at);
  EXPECT_EQ(cut.error, ECONNRESET);
  EXPECT_GE(at, 295);
  EXPECT_LT(at, 1000);
}

TEST_F(Toxics, TimeoutSwallowsThenClosesAfterItsTime) {
  proxy.add({{"type", "timeout"}, {"attributes", {{"timeout", 300}}}});
  const auto t0 = std::chrono::steady_clock::now();
  RawSocket s(proxy.port());
  ASSERT_TRUE(s.send("PING\r\n"));
  const auto r = s.read(1, 3s);
  const double at = ms_since(t0);
  std::printf("[measured] timeout 300 ms: closed after %.1f ms\n", at);
  EXPECT_TRUE(r.eof);
  EXPECT_TRUE(r.data.empty()) << r.data;  // the PONG was swallowed
  EXPECT_GE(at, 295);
  EXPECT_LT(at, 1000);
  EXPECT_GE(proxy.stats()["toxic_closes"]["timeout"].get<int>(), 1);
}

TEST_F(Toxics, TimeoutZeroBlackholesUntilRemoved) {
  RawSocket s(proxy.port());
  ASSERT_TRUE(s.send("PING\r\n"));
  ASSERT_EQ(s.read(7, 2s).data, "+PONG\r\n");
  proxy.add({{"type", "timeout"}, {"name", "hole"}});

  ASSERT_TRUE(s.send("PING\r\n"));
  const auto held = s.read(1, 700ms);
  EXPECT_TRUE(held.timed_out);  // no data, and no close either
  EXPECT_FALSE(held.eof);
  Redis r(proxy.port(), 300ms);
  EXPECT_FALSE(r.ping());  // a new connection hangs the same way

  proxy.client().remove_toxic("redis", "hole");
  ASSERT_TRUE(s.send("PING\r\n"));
  const auto after = s.read(7, 2s);
  EXPECT_EQ(after.data, "+PONG\r\n");  // exactly one: the swallowed reply is gone for good
  EXPECT_TRUE(s.read(1, 200ms).timed_out);
}

TEST_F(Toxics, SlowCloseDelaysTheClose) {
  const auto close_delay = [&]() {
    RawSocket s(proxy.port());
    EXPECT_TRUE(s.send("QUIT\r\n"));
    const auto ok = s.read(5, 2s);
    EXPECT_EQ(ok.data, "+OK\r\n");
    const auto t0 = std::chrono::steady_clock::now();
    const auto end = s.read(1, 3s);
    EXPECT_TRUE(end.eof);
    return ms_since(t0);
  };
  const double plain = close_delay();
  proxy.add({{"type", "slow_close"}, {"attributes", {{"delay", 400}}}});
  const double slowed = close_delay();
  std::printf("[measured] slow_close 400 ms: EOF %.1f ms after the reply (without the toxic %.1f ms)\n", slowed, plain);
  EXPECT_LT(plain, 150);
  EXPECT_GE(slowed, 380);
  EXPECT_LT(slowed, 1500);
}

TEST_F(Toxics, DownRefusesNewConnectionsAndCutsExistingOnes) {
  Redis live(proxy.port());
  ASSERT_TRUE(live.ping());
  RawSocket raw(proxy.port());
  ASSERT_TRUE(raw.connected());

  proxy.add({{"type", "down"}});
  EXPECT_TRUE(raw.read(1, 2s).eof);  // cut
  EXPECT_FALSE(live.ping());
  RawSocket refused(proxy.port());
  EXPECT_EQ(refused.connect_errno(), ECONNREFUSED);
  EXPECT_FALSE(Redis(proxy.port()).ok());
  EXPECT_EQ(proxy.client().proxies()["redis"]["listening"], false);
  EXPECT_GE(proxy.stats()["toxic_closes"]["down"].get<int>(), 2);

  proxy.client().remove_toxic("redis", "down_downstream");
  Redis back(proxy.port());
  EXPECT_TRUE(back.ping()) << back.error();
}

TEST_F(Toxics, DownWithPartialToxicityRefusesSomeConnections) {
  proxy.add({{"type", "down"}, {"toxicity", 0.5}});
  int served = 0, refused = 0;
  for (int i = 0; i < 40; ++i) {
    RawSocket s(proxy.port());
    ASSERT_TRUE(s.connected());  // still listening: refusal is per connection
    s.send("PING\r\n");
    const auto r = s.read(7, 2s);
    if (r.data == "+PONG\r\n") ++served;
    else if (r.error == ECONNRESET || r.eof) ++refused;
  }
  std::printf("[measured] down toxicity 0.5: %d of 40 connections refused\n", refused);
  EXPECT_EQ(served + refused, 40);
  EXPECT_GE(refused, 5);  // binomial(40, 0.5) leaves [5, 35] with p < 1e-6
  EXPECT_LE(refused, 35);
  EXPECT_EQ(proxy.stats()["connections_refused"].get<int>(), refused);
}
