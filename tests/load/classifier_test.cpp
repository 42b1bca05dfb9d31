// The violation classifier against scripted responses: every kind is produced by the
// response that should produce it, and by nothing else.
#include "lab/load/classifier.hpp"

#include <gtest/gtest.h>

#include "common/crypto.hpp"

using namespace scalelab::load;
using Clock = Classifier::Clock;
using namespace std::chrono_literals;

namespace {

Response reply(int status, std::string body = "{}") {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response failed(Transport t) {
  Response r;
  r.transport = t;
  return r;
}

Response limited(int status, std::int64_t limit, std::int64_t window) {
  Response r = reply(status);
  r.ratelimit = RateLimitHeaders{limit, 0, window};
  return r;
}

std::uint64_t total_violations(const Tally& t) { return t.total_violations(); }

}  // namespace

TEST(Classifier, CountsStatusClassesAndTransportErrors) {
  Classifier c;
  Tally t;
  for (int s : {200, 201, 302, 404, 429, 500, 503}) c.observe(reply(s), t);
  for (auto k : {Transport::refused, Transport::reset, Transport::timeout, Transport::protocol, Transport::other})
    c.observe(failed(k), t);
  Response aborted;
  aborted.aborted = true;
  c.observe(aborted, t);
  EXPECT_EQ(t.requests, 12u);
  EXPECT_EQ(t.responses, 7u);
  EXPECT_EQ(t.of(StatusClass::s2xx), 2u);
  EXPECT_EQ(t.of(StatusClass::s3xx), 1u);
  EXPECT_EQ(t.of(StatusClass::s4xx), 2u);
  EXPECT_EQ(t.of(StatusClass::s429), 1u);
  EXPECT_EQ(t.of(StatusClass::s5xx), 2u);
  EXPECT_EQ(t.of(StatusClass::s503), 1u);
  EXPECT_EQ(t.of(Transport::refused), 1u);
  EXPECT_EQ(t.of(Transport::reset), 1u);
  EXPECT_EQ(t.of(Transport::timeout), 1u);
  EXPECT_EQ(t.transport_errors(), 5u);
  EXPECT_EQ(t.failed(), 7u);  // 5 transport + 2 5xx
  EXPECT_EQ(total_violations(t), 0u);
}

TEST(Classifier, SessionLostIsA401ForASessionNeverLoggedOut) {
  Classifier c;
  Tally t;
  c.check_session(reply(401), t);  // no session yet: an expected 401
  EXPECT_EQ(t.of(Violation::session_lost), 0u);
  EXPECT_EQ(t.of(Check::session), 0u);

  c.on_login(reply(200, R"({"user":"u","created_by":"app-1"})"));
  ASSERT_TRUE(c.holds_session());
  c.check_session(reply(200), t);
  c.check_session(reply(429), t);                // rate limited: says nothing about the session
  c.check_session(reply(503), t);                // store down: neither
  c.check_session(failed(Transport::reset), t);  // no answer: neither
  EXPECT_EQ(t.of(Check::session), 1u);
  c.check_session(reply(401, R"({"error":"session_not_found"})"), t);
  EXPECT_EQ(t.of(Violation::session_lost), 1u);
  EXPECT_EQ(t.of(Check::session), 2u);
  EXPECT_FALSE(c.holds_session());
  c.check_session(reply(401), t);  // already counted: the user knows it has no session
  EXPECT_EQ(t.of(Violation::session_lost), 1u);

  c.on_login(reply(200));
  c.on_logout(reply(200, R"({"logged_out":true})"));
  c.check_session(reply(401), t);  // logged out on purpose
  EXPECT_EQ(t.of(Violation::session_lost), 1u);
  EXPECT_EQ(total_violations(t), 1u);
}

// A login destroys the old session before it answers; an instance killed in between
// never answers. The old session is then unknown, not lost.
TEST(Classifier, AnUnansweredLoginOrLogoutLeavesTheSessionUnknown) {
  Classifier c;
  Tally t;
  c.on_login(reply(200));
  c.on_login(failed(Transport::reset));
  EXPECT_FALSE(c.holds_session());
  c.check_session(reply(401), t);
  c.on_login(reply(200));
  c.on_login(reply(503));
  EXPECT_FALSE(c.holds_session());
  c.check_session(reply(401), t);
  c.on_login(reply(200));
  c.on_logout(failed(Transport::timeout));
  EXPECT_FALSE(c.holds_session());
  c.check_session(reply(401), t);
  EXPECT_EQ(t.of(Violation::session_lost), 0u);
  EXPECT_EQ(t.of(Check::session), 0u);
}

TEST(Classifier, CartLostWriteWhenAnAcknowledgedQuantityIsMissing) {
  Classifier c;
  Tally t;
  c.on_login(reply(200));
  c.on_cart_add("sku-1", 2, reply(200, R"({"sku":"sku-1","qty":2})"), t);
  c.on_cart_add("sku-2", 1, reply(200, R"({"sku":"sku-2","qty":1})"), t);
  c.on_cart_add("sku-1", 3, reply(200, R"({"sku":"sku-1","qty":5})"), t);  // 2 + 3: fine
  EXPECT_EQ(t.of(Check::cart), 1u);
  c.check_cart(reply(200, R"({"items":[{"sku":"sku-1","qty":5},{"sku":"sku-2","qty":1}],"total_qty":6})"), t);
  EXPECT_EQ(t.of(Check::cart), 3u);
  EXPECT_EQ(t.of(Violation::cart_lost_write), 0u);
  // A quantity below the acknowledged one, and a sku that vanished.
  c.check_cart(reply(200, R"({"items":[{"sku":"sku-1","qty":4}],"total_qty":4})"), t);
  EXPECT_EQ(t.of(Violation::cart_lost_write), 2u);
  // An add whose new total forgets the earlier acknowledged quantity.
  c.on_cart_add("sku-1", 1, reply(200, R"({"sku":"sku-1","qty":1})"), t);
  EXPECT_EQ(t.of(Violation::cart_lost_write), 3u);
  // More than acknowledged (an add that timed out but was applied) is not a loss.
  c.check_cart(reply(200, R"({"items":[{"sku":"sku-1","qty":9},{"sku":"sku-2","qty":1}]})"), t);
  EXPECT_EQ(t.of(Violation::cart_lost_write), 3u);
  // A new login starts a new, empty cart: nothing to compare any more.
  c.on_login(reply(200));
  c.check_cart(reply(200, R"({"items":[],"total_qty":0})"), t);
  EXPECT_EQ(t.of(Violation::cart_lost_write), 3u);
  EXPECT_EQ(total_violations(t), 3u);
}

TEST(Classifier, LostSessionIsNotAlsoALostCart) {
  Classifier c;
  Tally t;
  c.on_login(reply(200));
  c.on_cart_add("sku-1", 2, reply(200, R"({"sku":"sku-1","qty":2})"), t);
  c.check_cart(reply(401, R"({"error":"session_not_found"})"), t);
  EXPECT_EQ(t.of(Violation::session_lost), 1u);
  EXPECT_EQ(t.of(Violation::cart_lost_write), 0u);
}

TEST(Classifier, UploadMissingAndCorrupt) {
  Classifier c;
  Tally t;
  c.on_login(reply(200));
  const std::string bytes = "hello, scalelab";
  const std::string sha = scalelab::crypto::sha256_hex(bytes);
  auto id = c.on_upload(sha, reply(201, R"({"id":"AAAAAAAAAAAAAAAAAAAAAA","size":15,"sha256":")" + sha + R"("})"), t);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(t.of(Check::upload), 1u);  // the acknowledged sha256 was compared

  c.check_upload(*id, reply(200, bytes), t);
  EXPECT_EQ(total_violations(t), 0u);
  c.check_upload(*id, reply(404, R"({"error":"upload_not_found"})"), t);
  EXPECT_EQ(t.of(Violation::upload_missing), 1u);
  c.check_upload(*id, reply(200, "hello, scalelaB"), t);
  EXPECT_EQ(t.of(Violation::upload_corrupt), 1u);
  EXPECT_EQ(t.of(Check::upload), 4u);
  // An id never acknowledged to this user proves nothing.
  c.check_upload("BBBBBBBBBBBBBBBBBBBBBB", reply(404), t);
  EXPECT_EQ(t.of(Violation::upload_missing), 1u);

  // An acknowledgement whose sha256 is not what was sent.
  auto id2 = c.on_upload(sha, reply(201, R"({"id":"CCCCCCCCCCCCCCCCCCCCCC","size":15,"sha256":"00"})"), t);
  EXPECT_TRUE(id2);
  EXPECT_EQ(t.of(Violation::upload_corrupt), 2u);
  EXPECT_EQ(c.uploads().size(), 2u);
  // Failed uploads are not remembered.
  EXPECT_FALSE(c.on_upload(sha, reply(413, R"({"error":"payload_too_large"})"), t));
  EXPECT_EQ(total_violations(t), 3u);
}

TEST(Classifier, StaleReadAfterTheGracePeriodOnly) {
  Classifier c(ClassifierOptions{100ms});
  Tally t;
  const auto t0 = Clock::time_point{} + 10s;
  c.check_item_read(7, reply(200, R"({"id":7,"version":3})"), t0, t);  // never written: no check
  EXPECT_EQ(t.of(Check::item), 0u);
  c.on_item_write(7, reply(200, R"({"id":7,"version":5,"cache":"invalidated"})"), t0);
  c.check_item_read(7, reply(200, R"({"id":7,"version":4})"), t0 + 50ms, t);  // within grace
  EXPECT_EQ(t.of(Violation::stale_read), 0u);
  EXPECT_EQ(t.of(Check::item), 0u);
  c.check_item_read(7, reply(200, R"({"id":7,"version":4,"cache":"hit"})"), t0 + 150ms, t);
  EXPECT_EQ(t.of(Violation::stale_read), 1u);
  c.check_item_read(7, reply(200, R"({"id":7,"version":5})"), t0 + 200ms, t);
  c.check_item_read(7, reply(200, R"({"id":7,"version":9})"), t0 + 200ms, t);  // others wrote since
  EXPECT_EQ(t.of(Check::item), 3u);
  EXPECT_EQ(t.of(Violation::stale_read), 1u);
  // A newer ack still in its grace period does not make an older version stale yet,
  // but the settled older ack still counts.
  c.on_item_write(7, reply(200, R"({"id":7,"version":8})"), t0 + 1s);
  c.check_item_read(7, reply(200, R"({"id":7,"version":6})"), t0 + 1s + 10ms, t);
  EXPECT_EQ(t.of(Violation::stale_read), 1u);
  c.check_item_read(7, reply(200, R"({"id":7,"version":6})"), t0 + 2s, t);
  EXPECT_EQ(t.of(Violation::stale_read), 2u);
  // Other items are separate; a failed write acknowledges nothing.
  c.on_item_write(8, reply(503), t0);
  c.check_item_read(8, reply(200, R"({"id":8,"version":1})"), t0 + 5s, t);
  EXPECT_EQ(t.of(Check::item), 5u);
  EXPECT_EQ(total_violations(t), 2u);
}

TEST(Classifier, RateLimitExceededCountsAllowedRequestsPerWindow) {
  Classifier c;
  Tally t;
  // Limit 3 in window 100: three allowed, then 429s: no violation.
  for (int i = 0; i < 3; ++i) c.observe(limited(200, 3, 100), t);
  c.observe(limited(429, 3, 100), t);
  EXPECT_EQ(t.of(Violation::rate_limit_exceeded), 0u);
  EXPECT_EQ(t.of(Check::ratelimit), 3u);
  EXPECT_EQ(c.rate_limit(), 3);
  // Window 101: five allowed (two instances counting separately) = two too many.
  for (int i = 0; i < 5; ++i) c.observe(limited(200, 3, 101), t);
  EXPECT_EQ(t.of(Violation::rate_limit_exceeded), 2u);
  // A late answer for an old window is not counted against the current one.
  c.observe(limited(200, 3, 100), t);
  EXPECT_EQ(t.of(Violation::rate_limit_exceeded), 2u);
  // Responses without the headers (not logged in) are not rate-limit checks.
  c.observe(reply(200), t);
  EXPECT_EQ(t.of(Check::ratelimit), 8u);
  EXPECT_EQ(total_violations(t), 2u);
}

TEST(Classifier, UnparseableBodiesAreSkippedNotGuessed) {
  Classifier c;
  Tally t;
  c.on_login(reply(200));
  c.on_cart_add("sku-1", 1, reply(200, "not json"), t);
  c.check_cart(reply(200, "<html>"), t);
  c.on_item_write(1, reply(200, "{"), Clock::now());
  EXPECT_FALSE(c.on_upload("x", reply(201, "[]"), t));
  EXPECT_EQ(total_violations(t), 0u);
}
