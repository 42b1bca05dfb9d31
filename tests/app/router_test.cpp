#include "services/app/router.hpp"

#include <gtest/gtest.h>

using namespace scalelab::app;

namespace {
Router sample() {
  Router r;
  auto nop = [](Exchange&) {};
  r.add({"GET", "/api/me", RouteKind::api, false, nop});
  r.add({"GET", "/api/items/{id}", RouteKind::api, false, nop});
  r.add({"PUT", "/api/items/{id}", RouteKind::api, true, nop});
  r.add({"POST", "/api/uploads", RouteKind::api, true, nop});
  return r;
}
}  // namespace

TEST(Router, MatchesExactAndPatternedRoutes) {
  Router r = sample();
  EXPECT_EQ(r.match("GET", "/api/me").index, 0);
  auto m = r.match("GET", "/api/items/42");
  EXPECT_EQ(m.index, 1);
  EXPECT_EQ(m.param, "42");
  EXPECT_EQ(r.match("PUT", "/api/items/7").index, 2);
  EXPECT_EQ(r.match("HEAD", "/api/me").index, 0) << "HEAD is answered by GET routes";
}

TEST(Router, UnknownPathsAndWrongMethods) {
  Router r = sample();
  EXPECT_EQ(r.match("GET", "/nope").index, -1);
  EXPECT_TRUE(r.match("GET", "/nope").allow.empty());
  EXPECT_EQ(r.match("GET", "/api/items/").index, -1);
  EXPECT_EQ(r.match("GET", "/api/items/1/extra").index, -1);
  auto m = r.match("DELETE", "/api/items/1");
  EXPECT_EQ(m.index, -1);
  EXPECT_EQ(m.allow, "GET, HEAD, PUT");
  EXPECT_EQ(r.match("GET", "/api/uploads").allow, "POST");
}

TEST(Router, EachListenerServesItsOwnKindsOfRoute) {
  Router r = sample();
  auto nop = [](Exchange&) {};
  r.add({"GET", "/healthz", RouteKind::ops, false, nop});
  r.add({"GET", "/admin/state", RouteKind::admin, false, nop});
  r.add({"PUT", "/admin/state", RouteKind::admin, true, nop});
  EXPECT_EQ(r.match("GET", "/healthz", Listener::service).index, 4);
  EXPECT_EQ(r.match("GET", "/healthz", Listener::admin).index, 4);
  EXPECT_EQ(r.match("GET", "/admin/state", Listener::admin).index, 5);
  EXPECT_EQ(r.match("GET", "/api/me", Listener::admin).index, -1);
  const auto hidden = r.match("GET", "/admin/state", Listener::service);
  EXPECT_EQ(hidden.index, -1);
  EXPECT_TRUE(hidden.allow.empty()) << "no 405 names a route this listener does not have";
  EXPECT_EQ(r.match("DELETE", "/admin/state", Listener::admin).allow, "GET, HEAD, PUT");
}

TEST(Router, LabelsAreTheTemplates) {
  EXPECT_EQ(sample().labels(), (std::vector<std::string>{"/api/me", "/api/items/{id}", "/api/items/{id}", "/api/uploads"}));
}
