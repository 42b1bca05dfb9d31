#include "tests/deploy/live_stack.hpp"

#include <httplib.h>

#include <functional>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/net.hpp"
#include "tests/deploy/deploy_files.hpp"
#include "tests/support/app_cluster.hpp"

namespace scalelab::deploytest {
namespace {

using namespace std::chrono_literals;

std::string loopback(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

httplib::Client client(std::uint16_t port) {
  httplib::Client c("127.0.0.1", port);
  c.set_tcp_nodelay(true);
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(5, 0);
  return c;
}

bool answers(std::uint16_t port, const std::string& path) {
  auto c = client(port);
  auto r = c.Get(path);
  return r && r->status == 200;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

void expect_status(const httplib::Result& r, int status, const std::string& what) {
  if (!r) throw std::runtime_error(what + ": " + httplib::to_string(r.error()));
  if (r->status != status)
    throw std::runtime_error(what + ": status " + std::to_string(r->status) + " (expected " + std::to_string(status) +
                             "): " + r->body);
}

}  // namespace

process::Process LiveStack::spawn(const std::string& name, process::SpawnOptions options, std::uint16_t ready_port,
                                  const std::string& ready_path) {
  options.log_path = (dir_ / (name + ".log")).string();
  auto proc = process::Process::spawn(options);
  if (!wait_until([&] { return answers(ready_port, ready_path); }, 20s)) {
    std::string log;
    try {
      log = read_file(options.log_path);
    } catch (const std::exception&) {
    }
    throw std::runtime_error(name + " did not answer " + ready_path + " on " + loopback(ready_port) + ": " + log);
  }
  return proc;
}

LiveStack::LiveStack() {
  redis_proxy_port_ = net::free_port();
  faults_api_port_ = net::free_port();
  process::SpawnOptions faults;
  faults.argv = {binary("scalelab-faultproxy").string(), "--proxy",
                 "redis=" + loopback(redis_proxy_port_) + "," + loopback(redis_.port()), "--api",
                 loopback(faults_api_port_)};
  faults_ = spawn("faultproxy", faults, faults_api_port_, "/healthz");

  app_port_ = net::free_port();
  app_admin_port_ = net::free_port();
  process::SpawnOptions app;
  app.argv = {binary("scalelab-app").string()};
  app.env = {{"SCALELAB_INSTANCE_ID", "app-1"},
             {"SCALELAB_LISTEN", loopback(app_port_)},
             {"SCALELAB_ADMIN_LISTEN", loopback(app_admin_port_)},
             {"SCALELAB_ADMIN_TOKEN", kAdminToken},
             {"SCALELAB_REDIS_URL", "redis://" + loopback(redis_proxy_port_)},
             {"SCALELAB_REDIS_TIMEOUT_MS", "300"},
             {"SCALELAB_S3_ENDPOINT", s3_.endpoint()},
             {"SCALELAB_S3_BUCKET", testkit::S3Server::kBucket},
             {"AWS_ACCESS_KEY_ID", testkit::S3Server::kAccessKey},
             {"AWS_SECRET_ACCESS_KEY", testkit::S3Server::kSecretKey},
             {"SCALELAB_DATA_DIR", (dir_ / "app-1").string()},
             {"SCALELAB_DATABASE_URL", postgres_.url()},
             {"SCALELAB_DB_POOL", "2"},
             {"SCALELAB_DB_LATENCY_MS", "1"},
             {"SCALELAB_DRAIN_GRACE_MS", "100"}};
  app_ = spawn("app", app, app_port_, "/readyz");

  // "dead" points at a port nobody listens on: connect failures, retries, ejections.
  balancer_port_ = net::free_port();
  balancer_admin_port_ = net::free_port();
  process::SpawnOptions balancer;
  balancer.argv = {binary("scalelab-balancer").string(),
                   "--listen", loopback(balancer_port_),
                   "--admin-listen", loopback(balancer_admin_port_),
                   "--backend", "app-1=" + loopback(app_port_),
                   "--backend", "dead=" + loopback(net::free_port()),
                   "--health-interval-ms", "200",
                   "--health-fall", "1",
                   "--access-log", "false"};
  balancer_ = spawn("balancer", balancer, balancer_admin_port_, "/healthz");

  // As the superuser, as compose and Kubernetes connect it: its connection comes out
  // of the reserve, not the instances' budget.
  exporter_port_ = net::free_port();
  process::SpawnOptions exporter;
  exporter.argv = {"prometheus-postgres-exporter", "--web.listen-address=" + loopback(exporter_port_)};
  exporter.env = {{"DATA_SOURCE_NAME", postgres_.superuser_url() + "?sslmode=disable"}};
  exporter_ = spawn("postgres-exporter", exporter, exporter_port_, "/metrics");
}

LiveStack::~LiveStack() {
  exporter_.stop(2s);
  balancer_.stop(2s);
  app_.stop(5s);
  faults_.stop(2s);
}

std::string LiveStack::get(std::uint16_t port, const std::string& path) {
  auto c = client(port);
  auto r = c.Get(path);
  expect_status(r, 200, "GET " + path + " on port " + std::to_string(port));
  return r->body;
}

void LiveStack::drive() {
  auto lb = client(balancer_port_);
  // Several rounds, so round robin also tries the dead backend (retries, ejection).
  for (int i = 0; i < 6; ++i) expect_status(lb.Get("/api/items/" + std::to_string(i % 3 + 1)), 200, "GET item");
  expect_status(lb.Put("/api/items/1", R"({"price": 9.5})", "application/json"), 200, "PUT item");

  auto login = lb.Post("/api/login", R"({"user": "deploy-test"})", "application/json");
  expect_status(login, 200, "login");
  const httplib::Headers session{{"Cookie", testkit::session_cookie(login)}};
  expect_status(lb.Get("/api/me", session), 200, "me (found)");
  expect_status(lb.Get("/api/me", httplib::Headers{{"Cookie", "sid=AAAAAAAAAAAAAAAAAAAAAA"}}), 401, "me (missing)");
  expect_status(lb.Get("/api/me"), 401, "me (no cookie)");
  expect_status(lb.Post("/api/cart/items", session, R"({"sku": "sku-1", "qty": 1})", "application/json"), 200, "cart");

  auto upload = lb.Post("/api/uploads", session, std::string(1000, 'x'), "application/octet-stream");
  expect_status(upload, 201, "upload");
  const auto id = nlohmann::json::parse(upload->body).at("id").get<std::string>();
  expect_status(lb.Get("/api/uploads/" + id, session), 200, "upload read (found)");
  expect_status(lb.Get("/api/uploads/BBBBBBBBBBBBBBBBBBBBBB", session), 404, "upload read (missing)");

  // A checkout, read back as a listing: the pools, queries per request and the
  // server's connections to the scalelab database.
  auto buyer = lb.Post("/api/login", R"({"user": "deploy-buyer"})", "application/json");
  expect_status(buyer, 200, "login (buyer)");
  httplib::Headers order{{"Cookie", testkit::session_cookie(buyer)}};
  expect_status(lb.Post("/api/cart/items", order, R"({"sku": "item-2", "qty": 1})", "application/json"), 200,
                "cart (buyer)");
  order.emplace("Idempotency-Key", "deploy-order-1");
  expect_status(lb.Post("/api/checkout", order, "", "application/json"), 201, "checkout");
  expect_status(lb.Get("/api/orders?include=lines&strategy=join", order), 200, "order listing");

  // A Redis outage: the fault proxy refuses the link, a Redis-backed request fails
  // with a store error (app_store_errors_total{backend="redis"}), then it heals.
  auto faults = client(faults_api_port_);
  expect_status(faults.Post("/proxies/redis/toxics", R"({"type": "down"})", "application/json"), 201, "add fault");
  faults_during_fault_ = faultproxy_metrics();
  auto direct = client(app_port_);
  auto failed = direct.Get("/api/me", session);
  if (!failed || failed->status < 500)
    throw std::runtime_error("a request during the Redis outage did not fail with 5xx");
  expect_status(faults.Delete("/proxies/redis/toxics"), 204, "clear faults");
  if (!wait_until([&] { return answers(app_port_, "/readyz"); }, 10s))
    throw std::runtime_error("the app did not become ready again after the Redis outage");
}

}  // namespace scalelab::deploytest
