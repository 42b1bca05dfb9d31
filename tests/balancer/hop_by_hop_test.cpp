// Unit tests: hop-by-hop stripping and forwarding headers.
#include "balancer/hop_by_hop.hpp"

#include <gtest/gtest.h>

#include "common/ids.hpp"
#include "common/request_id.hpp"

using namespace scalelab::balancer;
using scalelab::is_acceptable_request_id;
namespace ids = scalelab::ids;
namespace http = boost::beast::http;

TEST(HopByHop, StripsTheStandardSet) {
  http::fields f;
  f.set(http::field::connection, "keep-alive");
  f.set(http::field::keep_alive, "timeout=5");
  f.set(http::field::proxy_connection, "keep-alive");
  f.set(http::field::proxy_authorization, "Basic x");
  f.set(http::field::te, "trailers");
  f.set(http::field::trailer, "X-Checksum");
  f.set(http::field::transfer_encoding, "chunked");
  f.set(http::field::upgrade, "websocket");
  f.set(http::field::content_type, "text/plain");
  f.set(http::field::host, "example");
  strip_hop_by_hop(f);
  EXPECT_EQ(std::distance(f.begin(), f.end()), 2);
  EXPECT_EQ(f[http::field::content_type], "text/plain");
  EXPECT_EQ(f[http::field::host], "example");
}

TEST(HopByHop, StripsWhatConnectionNamesButNeverHostOrLength) {
  http::fields f;
  f.insert(http::field::connection, "X-Secret, close");
  f.insert(http::field::connection, "x-other , Host, Content-Length");
  f.set("X-Secret", "1");
  f.set("X-Other", "2");
  f.set("X-Kept", "3");
  f.set(http::field::host, "h");
  f.set(http::field::content_length, "5");
  strip_hop_by_hop(f);
  EXPECT_EQ(f.count("X-Secret"), 0u);
  EXPECT_EQ(f.count("X-Other"), 0u);
  EXPECT_EQ(f.count(http::field::connection), 0u);
  EXPECT_EQ(f["X-Kept"], "3");
  EXPECT_EQ(f[http::field::host], "h");
  EXPECT_EQ(f[http::field::content_length], "5");
}

TEST(Forwarding, AppendsToXForwardedForAndSetsProto) {
  http::fields f;
  add_forwarded_for(f, "127.0.0.9", "http");
  EXPECT_EQ(f["X-Forwarded-For"], "127.0.0.9");
  EXPECT_EQ(f["X-Forwarded-Proto"], "http");
  http::fields g;
  g.insert("X-Forwarded-For", "10.0.0.1");
  g.insert("X-Forwarded-For", "10.0.0.2, 10.0.0.3");
  g.set("X-Forwarded-Proto", "https");
  add_forwarded_for(g, "127.0.0.1", "http");
  EXPECT_EQ(g.count("X-Forwarded-For"), 1u);
  EXPECT_EQ(g["X-Forwarded-For"], "10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1");
  EXPECT_EQ(g["X-Forwarded-Proto"], "http");
}

TEST(RequestId, AcceptableIncomingIds) {
  EXPECT_TRUE(is_acceptable_request_id("abc-123"));
  EXPECT_FALSE(is_acceptable_request_id(""));
  EXPECT_FALSE(is_acceptable_request_id("has space"));
  EXPECT_FALSE(is_acceptable_request_id(std::string(129, 'a')));
  EXPECT_FALSE(is_acceptable_request_id("caf\xc3\xa9"));
}

// The ids the balancer gives requests that came without one (common/ids.hpp).
TEST(RequestId, GeneratedIdsAreUniqueAndAcceptable) {
  std::string x, y;
  ids::unique_token_into(x);
  ids::unique_token_into(y);
  EXPECT_NE(x, y);
  EXPECT_TRUE(is_acceptable_request_id(x));
  EXPECT_TRUE(is_acceptable_request_id(ids::unique_token()));
}
