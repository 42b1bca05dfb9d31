// Unit tests: the request-parsing entry point (what the proxy accepts and refuses).
#include "balancer/request_parser.hpp"

#include <gtest/gtest.h>

using namespace scalelab::balancer;

namespace {
RequestLimits limits() {
  RequestLimits l;
  l.max_header_bytes = 1024;
  l.max_body_bytes = 100;
  return l;
}
ParseOutcome parse(const std::string& s) { return parse_request(s, limits()); }
unsigned rejected(const std::string& s) {
  const auto out = parse(s);
  return out.rejection ? out.rejection->status : 0;
}
std::string error_of(const std::string& s) {
  const auto out = parse(s);
  return out.rejection ? out.rejection->error : "";
}
}  // namespace

TEST(RequestParser, AcceptsOrdinaryRequests) {
  auto get = parse("GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(get.complete);
  EXPECT_FALSE(get.rejection);
  auto post = parse("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_TRUE(post.complete);
  EXPECT_EQ(post.body_bytes, 5u);
  auto chunked = parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_TRUE(chunked.complete);
  EXPECT_EQ(chunked.body_bytes, 5u);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\n\r\n").complete);  // 1.0 needs no Host
  EXPECT_TRUE(parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").complete);
  EXPECT_TRUE(parse("GET http://x/y HTTP/1.1\r\nHost: x\r\n\r\n").complete);
}

TEST(RequestParser, IncompleteInputWaitsForMore) {
  auto out = parse("GET / HTTP/1.1\r\nHost: x\r\n");
  EXPECT_FALSE(out.complete);
  EXPECT_FALSE(out.rejection);
}

TEST(RequestParser, SmugglingShapesAreRefused) {
  // Content-Length with Transfer-Encoding, in either order.
  EXPECT_EQ(rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400u);
  EXPECT_EQ(rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"), 400u);
  // Two different lengths.
  EXPECT_EQ(rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"), 400u);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!"), "bad_framing");
  // chunked not last, a lookalike coding, an unsupported coding, a repeated header.
  EXPECT_EQ(rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n"), 400u);
  EXPECT_EQ(rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"), 400u);
  EXPECT_EQ(rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"), 501u);
  EXPECT_EQ(rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), 400u);
  // Space before the colon, a bad chunk size, a negative length.
  EXPECT_EQ(rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello"), 400u);
  EXPECT_EQ(rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"), 400u);
  EXPECT_EQ(rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"), 400u);
}

TEST(RequestParser, LimitsGiveTheirStatus) {
  EXPECT_EQ(rejected("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n"), 431u);
  EXPECT_EQ(rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n"), 413u);
  std::string chunks = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) chunks += "32\r\n" + std::string(50, 'b') + "\r\n";  // 150 bytes counted
  chunks += "0\r\n\r\n";
  EXPECT_EQ(rejected(chunks), 413u);
}

TEST(RequestParser, MalformedRequestsAre4xx) {
  EXPECT_EQ(rejected("GARBAGE\r\n\r\n"), 400u);
  EXPECT_EQ(rejected("GET / HTTP/1.1\r\n\r\n"), 400u);  // no Host
  EXPECT_EQ(rejected("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400u);
  EXPECT_EQ(rejected("GET / HTTP/1.2\r\nHost: x\r\n\r\n"), 400u);  // Beast: malformed version
  EXPECT_EQ(rejected("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 400u);
  EXPECT_EQ(rejected("CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n"), 501u);
  EXPECT_EQ(rejected("GET nope HTTP/1.1\r\nHost: x\r\n\r\n"), 400u);
  EXPECT_EQ(rejected("GET / HTTP/1.1\r\nHost: x\r\nBad\x01Name: y\r\n\r\n"), 400u);
  EXPECT_EQ(rejected("GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n"), 400u);
  EXPECT_EQ(rejected(std::string("GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n", 35)), 400u);
}
