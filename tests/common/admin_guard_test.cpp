// The rules every admin surface shares (common/admin_guard.hpp), case by case.
#include "common/admin_guard.hpp"

#include <gtest/gtest.h>

namespace scalelab::admin {
namespace {

Request get(std::string_view host, std::string_view remote = "127.0.0.1") {
  return Request{"GET", host, "", "", remote};
}

TEST(AdminGuard, LoopbackHostsWithTheListenersPortPass) {
  for (auto host : {"127.0.0.1:9000", "localhost:9000", "LocalHost:9000", "[::1]:9000"})
    EXPECT_TRUE(is_loopback_host(host, 9000)) << host;
  for (auto host : {"127.0.0.1:9001", "evil.example:9000", "127.0.0.1.evil.example:9000", "localhost", "[::1]",
                    "127.0.0.2:9000", "localhost:9000x", "[::1]9000", "[::1", "127.0.0.1:", ""})
    EXPECT_FALSE(is_loopback_host(host, 9000)) << host;
  EXPECT_TRUE(is_loopback_host("localhost", 80));
  EXPECT_TRUE(is_loopback_host("[::1]", 80));
}

TEST(AdminGuard, ARebindingHostIsRefusedEvenForProbes) {
  const Policy p{"", 9000, true};
  auto d = check(p, get("attacker.example:9000"), Route::probe);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 403);
  EXPECT_EQ(d->error, "forbidden_host");
  EXPECT_FALSE(check(p, get("127.0.0.1:9000"), Route::probe));
  EXPECT_FALSE(check(p, get(""), Route::probe)) << "no Host: not a browser";
}

TEST(AdminGuard, ANonLoopbackListenerTakesAnyHost) {
  const Policy p{"secret", 9000, false};
  EXPECT_FALSE(check(p, get("app-1:9000", "10.0.0.7"), Route::probe));
}

TEST(AdminGuard, ATokenIsRequiredFromLoopbackToo) {
  const Policy p{"secret", 9000, true};
  auto d = check(p, get("127.0.0.1:9000"), Route::admin);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 401);
  Request r = get("127.0.0.1:9000");
  r.authorization = "Bearer wrong!";
  EXPECT_TRUE(check(p, r, Route::admin));
  r.authorization = "Bearer secret";
  EXPECT_FALSE(check(p, r, Route::admin));
  r.authorization = "bearer secret";
  EXPECT_FALSE(check(p, r, Route::admin)) << "the scheme is case-insensitive";
  EXPECT_FALSE(check(p, get("127.0.0.1:9000"), Route::probe)) << "probes skip the token";
}

TEST(AdminGuard, WithoutATokenOnlyLoopbackClientsMayAdminister) {
  const Policy p{"", 9000, false};
  auto d = check(p, get("app:9000", "10.1.2.3"), Route::admin);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 403);
  EXPECT_FALSE(check(p, get("app:9000", "127.0.0.1"), Route::admin));
}

TEST(AdminGuard, AForeignOriginMayNotChangeAnything) {
  const Policy p{"", 9000, true};
  Request r{"POST", "127.0.0.1:9000", "http://evil.example", "", "127.0.0.1"};
  auto d = check(p, r, Route::admin);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->error, "forbidden_origin");
  r.origin = "null";
  EXPECT_TRUE(check(p, r, Route::admin));
  r.origin = "http://localhost:9000";  // loopback, but not the origin the page came from
  EXPECT_TRUE(check(p, r, Route::admin));
  r.origin = "https://127.0.0.1:9000";
  EXPECT_TRUE(check(p, r, Route::admin));
  r.origin = "http://127.0.0.1:9000";
  EXPECT_FALSE(check(p, r, Route::admin)) << "the surface's own page (the console)";
  r.origin = "";
  EXPECT_FALSE(check(p, r, Route::admin)) << "curl sends no Origin";
  r.method = "GET";
  r.origin = "http://evil.example";
  EXPECT_FALSE(check(p, r, Route::admin)) << "reads are not mutations (and Host guards them)";
  r.method = "DELETE";
  EXPECT_TRUE(check(p, r, Route::admin));
}

}  // namespace
}  // namespace scalelab::admin
