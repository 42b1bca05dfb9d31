#include "common/net.hpp"

#include <set>

#include <gtest/gtest.h>

using namespace scalelab;

TEST(Net, ParsesHostPort) {
  auto hp = net::parse_host_port("127.0.0.1:8080");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 8080);
  EXPECT_EQ(hp->str(), "127.0.0.1:8080");
  auto v6 = net::parse_host_port("[::1]:9");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
}

TEST(Net, RejectsBadHostPort) {
  for (const char* bad : {"", "host", "host:", ":80", "host:0", "host:65536", "host:80x", "host:-1"})
    EXPECT_FALSE(net::parse_host_port(bad)) << bad;
}

TEST(Net, FreePortIsUnboundAndConnectFails) {
  const auto port = net::free_port();
  EXPECT_GT(port, 0);
  EXPECT_FALSE(net::can_connect("127.0.0.1", port));
}

// A harness asks for a listener's port and its admin port in a row; the kernel may
// give the second bind the port the first just closed, and the two must still differ.
TEST(Net, FreePortsAskedForTogetherDiffer) {
  std::set<std::uint16_t> seen;
  for (int i = 0; i < 200; ++i) EXPECT_TRUE(seen.insert(net::free_port()).second) << "call " << i;
}

TEST(Net, Loopback) {
  EXPECT_TRUE(net::is_loopback("127.0.0.1"));
  EXPECT_TRUE(net::is_loopback("127.3.4.5"));
  EXPECT_TRUE(net::is_loopback("localhost"));
  EXPECT_TRUE(net::is_loopback("::1"));
  EXPECT_FALSE(net::is_loopback("10.0.0.1"));
  EXPECT_FALSE(net::is_loopback("example.com"));
}
