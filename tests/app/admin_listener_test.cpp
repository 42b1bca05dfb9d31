// The app's admin API lives on an admin address of its own, behind the common admin
// guard: it does not exist on the service port (so not through the balancer either),
// a foreign Origin cannot change anything, a foreign Host learns nothing, and a token,
// when set, is needed from loopback too.
#include <thread>

#include "common/net.hpp"
#include "tests/app/app_test_util.hpp"

using namespace scalelab::testkit;
using namespace std::chrono_literals;
using scalelab::process::Process;
using scalelab::process::SpawnOptions;

namespace {

std::string loopback(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

}  // namespace

TEST(AdminListener, TheAdminApiIsNotOnTheServicePort) {
  AppCluster cluster(1);
  auto service = cluster.client(0), admin = cluster.admin_client(0);
  expect_error(service->Get("/admin/state"), 404, "not_found");
  expect_error(service->Put("/admin/state", R"({"mode": "local"})", "application/json"), 404, "not_found");
  expect_error(service->Post("/admin/drain"), 404, "not_found");
  EXPECT_EQ(body(admin->Get("/admin/state"))["sessions"], "shared");
  // Probes answer on both; the API does not answer on the admin address.
  for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
    EXPECT_EQ(status_of(service->Get(path)), 200) << path;
    EXPECT_EQ(status_of(admin->Get(path)), 200) << path;
  }
  expect_error(admin->Get("/api/me"), 404, "not_found");
  EXPECT_EQ(status_of(service->Get("/readyz")), 200) << "nothing above drained the instance";
}

TEST(AdminListener, ThroughARealBalancerTheAdminApiIs404) {
  AppCluster cluster(1);
  const std::uint16_t port = scalelab::net::free_port(), admin_port = scalelab::net::free_port();
  SpawnOptions options;
  options.argv = {AppCluster::binary("scalelab-balancer"), "--listen", loopback(port), "--admin-listen",
                  loopback(admin_port), "--backend", "app-1=" + loopback(cluster.app(0).port),
                  "--health-interval-ms", "100", "--access-log", "false"};
  options.log_path = (cluster.dir() / "balancer.log").string();
  Process balancer = Process::spawn(options);
  httplib::Client lb("127.0.0.1", port);
  lb.set_connection_timeout(2, 0);
  lb.set_read_timeout(5, 0);
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    auto r = lb.Get("/healthz");
    up = r && r->status == 200;
    if (!up) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(up) << "the balancer never forwarded to the app; see " << options.log_path;
  // The attack this listener exists for: everything through the balancer arrives from
  // loopback, so a loopback check alone would let any client reach the admin routes.
  expect_error(lb.Get("/admin/state"), 404, "not_found");
  expect_error(lb.Put("/admin/state", R"({"mode": "local"})", "application/json"), 404, "not_found");
  expect_error(lb.Post("/admin/drain", httplib::Headers{{"Origin", "http://evil.example"}}, "", "text/plain"), 404,
               "not_found");
  EXPECT_EQ(status_of(lb.Get("/readyz")), 200) << "the instance was not drained";
  EXPECT_EQ(body(cluster.admin_client(0)->Get("/admin/state"))["sessions"], "shared") << "nor toggled";
  balancer.stop(2s);
}

TEST(AdminListener, ForeignOriginsAndHostsAreRefused) {
  AppCluster cluster(1);
  auto admin = cluster.admin_client(0);
  const httplib::Headers evil{{"Origin", "http://evil.example"}};
  expect_error(admin->Put("/admin/state", evil, R"({"mode": "local"})", "application/json"), 403, "forbidden_origin");
  expect_error(admin->Post("/admin/drain", evil, "", "text/plain"), 403, "forbidden_origin");
  EXPECT_EQ(cluster.client(0)->Get("/readyz")->status, 200) << "the cross-origin drain did nothing";
  // The admin address's own origin may.
  const std::string own = "http://" + loopback(cluster.app(0).admin_port);
  EXPECT_EQ(status_of(admin->Put("/admin/state", {{"Origin", own}}, R"({"mode": "shared"})", "application/json")), 200);
  // DNS rebinding: a page's own name pointed at 127.0.0.1 reaches the port, not the API.
  const std::string rebound = "GET /admin/state HTTP/1.1\r\nHost: evil.example:" +
                              std::to_string(cluster.app(0).admin_port) + "\r\n\r\n";
  const std::string answer = raw_exchange(cluster.app(0).admin_port, rebound);
  EXPECT_EQ(answer.rfind("HTTP/1.1 403", 0), 0u) << answer;
  EXPECT_NE(answer.find("forbidden_host"), std::string::npos) << answer;
}

TEST(AdminListener, WithATokenLoopbackNeedsItToo) {
  AppCluster cluster(1, {{"SCALELAB_ADMIN_TOKEN", "s3cret"}});
  auto admin = cluster.admin_client(0);
  auto missing = admin->Get("/admin/state");
  expect_error(missing, 401, "unauthorized");
  EXPECT_EQ(missing ? missing->get_header_value("WWW-Authenticate") : "", "Bearer");
  expect_error(admin->Get("/admin/state", {{"Authorization", "Bearer wrong!"}}), 401, "unauthorized");
  expect_error(admin->Post("/admin/drain", {{"Authorization", "Bearer s3crex"}}, "", "text/plain"), 401,
               "unauthorized");
  EXPECT_EQ(status_of(admin->Get("/admin/state", {{"Authorization", "Bearer s3cret"}})), 200);
  EXPECT_EQ(status_of(admin->Get("/readyz")), 200) << "probes need no token";
  EXPECT_EQ(cluster.client(0)->Get("/readyz")->status, 200) << "no drain happened";
}

TEST(AdminListener, ItCanBeTurnedOffAndNeverSharesTheServicePort) {
  AppCluster cluster(1, {{"SCALELAB_ADMIN_LISTEN", "0"}});
  expect_error(cluster.client(0)->Get("/admin/state"), 404, "not_found");
  // The admin address may not be the service address.
  const std::string port = std::to_string(scalelab::net::free_port());
  for (const std::string& admin : {"127.0.0.1:" + port, "0.0.0.0:" + port}) {
    SpawnOptions options;
    options.argv = {AppCluster::binary("scalelab-app"), "--listen", "127.0.0.1:" + port, "--admin-listen", admin};
    options.log_path = (cluster.dir() / "refused.log").string();
    Process app = Process::spawn(options);
    const auto status = app.wait_for(10s);
    ASSERT_TRUE(status) << admin;
    EXPECT_EQ(status->describe(), "exit 2") << admin;
  }
}
