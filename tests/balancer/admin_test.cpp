// Integration tests: the admin API (list, add, drain, undrain, delete, errors, token)
// and the /metrics exposition.
#include <set>

#include <gtest/gtest.h>

#include "tests/balancer/harness.hpp"

using namespace scalelab::testkit;
using namespace scalelab::balancer_test;
using namespace std::chrono_literals;

TEST(Admin, AddListDrainUndrainDelete) {
  TestBackend a("a"), b("b");
  Balancer lb({"--backend=a=" + a.address(), "--health-interval-ms=100"});
  auto admin = lb.admin_client();
  auto added = admin.Post("/admin/backends", R"({"id":"app-2","address":")" + b.address() + R"("})",
                          "application/json");
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 201) << added->body;
  EXPECT_EQ(nlohmann::json::parse(added->body)["source"], "admin");

  const auto list = lb.backends();
  ASSERT_EQ(list["backends"].size(), 2u);
  const auto first = list["backends"][0];
  for (const char* field : {"id", "address", "source", "state", "healthy", "in_flight", "requests_total", "failures",
                            "ejections", "share", "open_connections", "queue_depth"})
    EXPECT_TRUE(first.contains(field)) << field;
  EXPECT_EQ(first["source"], "static");
  EXPECT_EQ(list["algorithm"], "round_robin");

  // Both take traffic once their first health check passed.
  ASSERT_TRUE(eventually([&] {
    return lb.backend("app-2").value()["healthy"] == true && lb.backend("a").value()["healthy"] == true;
  }));
  auto cli = lb.client();
  std::set<std::string> seen;
  for (int i = 0; i < 4; ++i) seen.insert(cli.Get("/echo")->get_header_value("X-Instance"));
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b"}));

  ASSERT_EQ(admin.Post("/admin/backends/app-2/drain")->status, 202);
  EXPECT_EQ(lb.backend("app-2").value()["state"], "draining");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(cli.Get("/echo")->get_header_value("X-Instance"), "a");
  ASSERT_EQ(admin.Post("/admin/backends/app-2/undrain")->status, 200);
  EXPECT_EQ(lb.backend("app-2").value()["state"], "active");

  auto del = admin.Delete("/admin/backends/app-2");
  ASSERT_EQ(del->status, 202);
  ASSERT_TRUE(eventually([&] { return !lb.backend("app-2").has_value(); }, 5s));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cli.Get("/echo")->get_header_value("X-Instance"), "a");
}

TEST(Admin, ErrorsAreJsonWithTheRightStatus) {
  TestBackend a("a");
  Balancer lb({"--backend=a=" + a.address()});
  auto admin = lb.admin_client();
  auto expect = [&](const httplib::Result& r, int status, const std::string& error) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status);
    EXPECT_EQ(nlohmann::json::parse(r->body)["error"], error);
  };
  expect(admin.Post("/admin/backends", "{nope", "application/json"), 400, "bad_json");
  expect(admin.Post("/admin/backends", R"({"address":"x"})", "application/json"), 400, "bad_address");
  expect(admin.Post("/admin/backends", R"({"id":"a b","address":"127.0.0.1:1"})", "application/json"), 400, "bad_id");
  expect(admin.Post("/admin/backends", R"({"id":"a","address":"127.0.0.1:1"})", "application/json"), 409,
         "backend_exists");
  expect(admin.Delete("/admin/backends/ghost"), 404, "backend_not_found");
  expect(admin.Get("/admin/nothing"), 404, "not_found");
  expect(admin.Put("/admin/backends", "{}", "application/json"), 405, "method_not_allowed");
}

TEST(Admin, BearerTokenGuardsAdminButNotMetrics) {
  Balancer lb({"--admin-token=s3cret"});
  auto admin = lb.admin_client();
  auto denied = admin.Get("/admin/backends");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  EXPECT_EQ(admin.Get("/admin/backends", httplib::Headers{{"Authorization", "Bearer wrong!"}})->status, 401);
  EXPECT_EQ(admin.Get("/admin/backends", httplib::Headers{{"Authorization", "Bearer s3cret"}})->status, 200);
  EXPECT_EQ(admin.Get("/metrics")->status, 200);
  EXPECT_EQ(admin.Get("/healthz")->status, 200);
}

TEST(Admin, ACrossOriginPageCannotChangeBackends) {
  TestBackend a("a");
  Balancer lb({"--backend=a=" + a.address(), "--health-interval-ms=0"});
  auto admin = lb.admin_client();
  const std::string own = "http://127.0.0.1:" + std::to_string(lb.admin_port());
  // A form post or fetch from another page needs no preflight and carries its Origin.
  auto added = admin.Post("/admin/backends", httplib::Headers{{"Origin", "http://evil.example"}},
                          R"({"id":"redis","address":"127.0.0.1:6379"})", "application/json");
  ASSERT_TRUE(added);
  EXPECT_EQ(added->status, 403);
  EXPECT_NE(added->body.find("forbidden_origin"), std::string::npos) << added->body;
  auto drained = admin.Post("/admin/backends/a/drain", httplib::Headers{{"Origin", "null"}}, "", "application/json");
  EXPECT_EQ(drained->status, 403);
  EXPECT_EQ(lb.backend("a").value()["state"], "active");
  EXPECT_FALSE(lb.backend("redis")) << "nothing was added";
  // Its own origin, and a client that sends none (curl, the lab), still may.
  EXPECT_EQ(admin.Post("/admin/backends/a/drain", httplib::Headers{{"Origin", own}}, "", "application/json")->status, 202);
  EXPECT_EQ(admin.Post("/admin/backends/a/undrain", "", "application/json")->status, 200);
}

TEST(Admin, ARebindingHostNameGetsNothing) {
  Balancer lb({});
  auto admin = lb.admin_client();
  const std::string port = std::to_string(lb.admin_port());
  // A page whose DNS name now points at 127.0.0.1 reaches the port with its own Host.
  for (const char* path : {"/admin/backends", "/metrics", "/healthz"}) {
    auto res = admin.Get(path, httplib::Headers{{"Host", "rebind.example:" + port}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 403) << path;
    EXPECT_NE(res->body.find("forbidden_host"), std::string::npos) << res->body;
  }
  EXPECT_EQ(admin.Get("/admin/backends", httplib::Headers{{"Host", "localhost:" + port}})->status, 200);
}

TEST(Admin, MetricsExposeTheDocumentedSeries) {
  TestBackend a("a");
  Balancer lb({"--backend=a=" + a.address(), "--health-interval-ms=100"});
  lb.client().Get("/echo");
  ASSERT_TRUE(eventually([&] { return lb.metric("balancer_backend_healthy{backend=\"a\"}") == 1; }));
  const std::string text = lb.metrics();
  for (const char* name :
       {"balancer_requests_total", "balancer_request_duration_seconds_bucket", "balancer_retries_total",
        "balancer_ejections_total", "balancer_health_checks_total", "balancer_backend_healthy",
        "balancer_backend_ejected", "balancer_backend_draining", "balancer_backend_in_flight",
        "balancer_upstream_connections", "balancer_upstream_idle_connections", "balancer_queue_depth",
        "balancer_client_connections", "balancer_affinity_broken_total", "balancer_panic_mode",
        "balancer_retry_budget_exhausted_total", "balancer_client_errors_total",
        "balancer_upstream_connections_closed_total{backend=\"a\",reason=\"overran_framing\"} 0"})
    EXPECT_NE(text.find(name), std::string::npos) << name;
}
