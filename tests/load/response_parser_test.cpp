// The header-capturing response parser on scripted bytes: what the checks rely on
// (status, X-Instance, cookies, rate-limit headers, Retry-After, X-DB-Queries, body,
// keep-alive).
#include "lab/load/response_parser.hpp"

#include <gtest/gtest.h>

using namespace scalelab::load;

namespace {

Response parse(const std::string& bytes, boost::beast::error_code& ec, std::uint64_t body_limit = 1 << 20) {
  Response out;
  out.body = "left over from the previous response";
  ResponseParser parser(out, body_limit);
  std::size_t used = 0;
  // Feed in two pieces, as a socket might deliver them.
  const std::size_t half = bytes.size() / 2;
  used = parser.feed(boost::asio::buffer(bytes.data(), half), ec);
  std::string rest = bytes.substr(used);
  if (ec == boost::beast::http::error::need_more) ec = {};
  if (!ec) parser.feed(boost::asio::buffer(rest), ec);
  return out;
}

}  // namespace

TEST(ResponseParser, CapturesTheHeadersTheChecksUse) {
  boost::beast::error_code ec;
  const Response r = parse(
      "HTTP/1.1 429 Too Many Requests\r\n"
      "Content-Type: application/json\r\n"
      "x-instance: app-2\r\n"
      "X-RateLimit-Limit: 50\r\n"
      "X-RateLimit-Remaining: 0\r\n"
      "X-RateLimit-Window: 58888811\r\n"
      "Retry-After: 3\r\n"
      "Set-Cookie: sid=abc; Path=/; HttpOnly\r\n"
      "Set-Cookie: other=1\r\n"
      "X-Upload-Sha256: 00ff\r\n"
      "X-DB-Queries: 51\r\n"
      "X-Scalelab-Cold-Start-Ms: 1200\r\n"
      "Content-Length: 24\r\n"
      "\r\n"
      "{\"error\":\"rate_limited\"}",
      ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.instance, "app-2");
  ASSERT_TRUE(r.ratelimit);
  EXPECT_EQ(r.ratelimit->limit, 50);
  EXPECT_EQ(r.ratelimit->remaining, 0);
  EXPECT_EQ(r.ratelimit->window, 58888811);
  EXPECT_EQ(r.retry_after_seconds, 3);
  ASSERT_EQ(r.set_cookies.size(), 2u);
  EXPECT_EQ(r.set_cookies[0], "sid=abc; Path=/; HttpOnly");
  EXPECT_EQ(r.upload_sha256, "00ff");
  EXPECT_EQ(r.db_queries, 51);
  EXPECT_EQ(r.cold_start_ms, 1200);
  EXPECT_EQ(r.body, "{\"error\":\"rate_limited\"}");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_TRUE(r.answered());
}

TEST(ResponseParser, ChunkedBodiesCloseAndLimits) {
  boost::beast::error_code ec;
  Response r = parse(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
      ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.body, "hello world");
  EXPECT_FALSE(r.keep_alive);
  EXPECT_FALSE(r.ratelimit);  // absent unless limit and window are both there
  EXPECT_EQ(r.retry_after_seconds, -1);

  r = parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", ec, 4);
  EXPECT_EQ(ec, boost::beast::http::error::body_limit);
  ec = {};
  r = parse("HTTP/1.1 200 OK\r\nBroken Header\r\n\r\n", ec);
  EXPECT_TRUE(ec);
}
