#include <gtest/gtest.h>

#include "store/redis_client.hpp"
#include "store/state_mode.hpp"

using namespace scalelab::store;

TEST(RedisUrl, ParsesHostPortPasswordAndDatabase) {
  auto c = parse_redis_url("redis://:secret@10.0.0.5:6380/2");
  EXPECT_EQ(c.host, "10.0.0.5");
  EXPECT_EQ(c.port, 6380);
  EXPECT_EQ(c.password, "secret");
  EXPECT_EQ(c.db, 2);
  auto d = parse_redis_url("redis://redis");
  EXPECT_EQ(d.host, "redis");
  EXPECT_EQ(d.port, 6379);
  EXPECT_EQ(d.db, 0);
  auto u = parse_redis_url("unix://:pw@/run/redis/redis.sock?db=3");
  EXPECT_EQ(u.unix_socket, "/run/redis/redis.sock");
  EXPECT_EQ(u.password, "pw");
  EXPECT_EQ(u.db, 3);
  EXPECT_EQ(parse_redis_url("unix:///tmp/r.sock").unix_socket, "/tmp/r.sock");
}

TEST(RedisUrl, RejectsMalformedUrls) {
  for (const char* bad : {"", "http://x:1", "redis://", "redis://host:0", "redis://host:99999", "redis://h:1/x", "unix://", "unix://relative.sock",
                          "unix:///tmp/r.sock?db=x", "unix:///tmp/r.sock?timeout=1"})
    EXPECT_THROW(parse_redis_url(bad), std::invalid_argument) << bad;
}

TEST(StateMode, ParsesAndPrints) {
  EXPECT_EQ(parse_mode("shared"), Mode::shared);
  EXPECT_EQ(parse_mode("local"), Mode::local);
  EXPECT_FALSE(parse_mode("Shared"));
  EXPECT_EQ(parse_concern("ratelimit"), Concern::ratelimit);
  EXPECT_FALSE(parse_concern("db"));
  for (Concern c : kConcerns) EXPECT_EQ(parse_concern(to_string(c)), c);
}
