// The test servers themselves: they start on free ports, survive kill and restart on
// the same port, and leave nothing behind.
#include "tests/support/servers.hpp"

#include <signal.h>

#include <gtest/gtest.h>

#include "common/net.hpp"

using namespace scalelab;

TEST(TestServers, RedisStartsKillsAndRestartsOnTheSamePort) {
  testkit::RedisServer redis;
  EXPECT_EQ(redis.cli("PING"), "PONG");
  redis.cli("SET k v");
  redis.kill(SIGKILL);
  EXPECT_FALSE(net::can_connect("127.0.0.1", redis.port()));
  redis.start();
  EXPECT_EQ(redis.cli("PING"), "PONG");
}

TEST(TestServers, S3rverStartsAndStops) {
  std::uint16_t port;
  {
    testkit::S3Server s3;
    port = s3.port();
    EXPECT_TRUE(net::can_connect("127.0.0.1", port));
  }
  EXPECT_FALSE(net::can_connect("127.0.0.1", port));
}
