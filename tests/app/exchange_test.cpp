#include "services/app/exchange.hpp"

#include <gtest/gtest.h>

using namespace scalelab::app;
using scalelab::HttpError;

namespace {
struct Fixture {
  httplib::Request req;
  httplib::Response res;
  RequestContext ctx;
  Exchange ex() { return Exchange{req, res, ctx, nullptr, {}}; }
};
}  // namespace

TEST(Exchange, FindsCookiesAcrossHeadersAndPairs) {
  Fixture f;
  f.req.headers.emplace("Cookie", "theme=dark; sid=abc");
  f.req.headers.emplace("Cookie", "other=1");
  auto ex = f.ex();
  EXPECT_EQ(ex.cookie("sid"), "abc");
  EXPECT_EQ(ex.cookie("other"), "1");
  EXPECT_FALSE(ex.cookie("missing"));
  EXPECT_FALSE(ex.cookie("si"));
}

TEST(Exchange, JsonBodiesMustBeObjects) {
  Fixture f;
  f.req.body = R"({"user": "alice"})";
  EXPECT_EQ(f.ex().json_body()["user"], "alice");
  for (const char* bad : {"", "[1,2]", "\"s\"", "{\"a\":", "nul"}) {
    f.req.body = bad;
    try {
      f.ex().json_body();
      FAIL() << bad;
    } catch (const HttpError& e) {
      EXPECT_EQ(e.status(), 400) << bad;
      EXPECT_EQ(e.code(), "bad_json");
    }
  }
}

TEST(Exchange, QueryIntegersAreBounded) {
  Fixture f;
  f.req.params.emplace("io_ms", "50");
  f.req.params.emplace("bad", "5x");
  auto ex = f.ex();
  EXPECT_EQ(ex.query_int("io_ms", 0, 100, 0), 50);
  EXPECT_EQ(ex.query_int("absent", 0, 100, 7), 7);
  EXPECT_THROW(ex.query_int("bad", 0, 100, 0), HttpError);
  EXPECT_THROW(ex.query_int("io_ms", 0, 10, 0), HttpError);
}

TEST(Exchange, ParseInt) {
  EXPECT_EQ(parse_int("0"), 0);
  EXPECT_EQ(parse_int("123"), 123);
  EXPECT_FALSE(parse_int(""));
  EXPECT_FALSE(parse_int("-1"));
  EXPECT_FALSE(parse_int("1.5"));
  EXPECT_FALSE(parse_int(" 1"));
  EXPECT_FALSE(parse_int("99999999999999999999"));
}

TEST(Exchange, ServerTimingNamesEveryStage) {
  RequestContext ctx;
  ctx.parse = 0.001;
  ctx.handler = 0.0025;
  EXPECT_EQ(ctx.server_timing(),
            "parse;dur=1.000, route;dur=0.000, middleware;dur=0.000, handler;dur=2.500, serialize;dur=0.000");
}
