#include "tests/support/app_cluster.hpp"

#include <cstdlib>
#include <thread>

#include "common/net.hpp"

#ifndef SCALELAB_BINARY_DIR
#define SCALELAB_BINARY_DIR "."
#endif

namespace scalelab::testkit {

std::string AppCluster::binary(const std::string& name) { return std::string(SCALELAB_BINARY_DIR) + "/bin/" + name; }

AppCluster::AppCluster(int instances, std::map<std::string, std::string> env) : env_(std::move(env)) {
  for (int i = 0; i < instances; ++i) add_instance();
  for (std::size_t i = 0; i < apps_.size(); ++i)
    if (!wait_ready(i)) throw std::runtime_error(apps_[i]->id + " did not become ready; see " + apps_[i]->log_path);
}

AppCluster::~AppCluster() {
  for (auto& app : apps_) app->process.stop(std::chrono::seconds(5));
}

process::SpawnOptions AppCluster::spawn_options(const std::string& id, const std::map<std::string, std::string>& env) const {
  process::SpawnOptions options;
  options.argv = {binary("scalelab-app")};
  // ctest runs the app's integration tests once per concurrency model
  // (tests/app/CMakeLists.txt): the model comes from the test's environment, unless
  // the test sets one itself.
  if (const char* model = std::getenv("SCALELAB_TEST_APP_MODEL"); model != nullptr && *model != '\0')
    options.env["SCALELAB_APP_MODEL"] = model;
  for (auto& [k, v] : env_) options.env[k] = v;
  for (auto& [k, v] : env) options.env[k] = v;
  options.env["SCALELAB_INSTANCE_ID"] = id;
  options.env["SCALELAB_REDIS_URL"] = redis_.url();
  options.env["SCALELAB_S3_ENDPOINT"] = s3_.endpoint();
  options.env["SCALELAB_S3_BUCKET"] = S3Server::kBucket;
  options.env["SCALELAB_DATA_DIR"] = (dir_ / id).string();
  options.env.emplace("SCALELAB_DRAIN_GRACE_MS", "200");
  options.env.emplace("SCALELAB_DB_LATENCY_MS", "2");
  options.log_path = (dir_ / (id + ".log")).string();
  return options;
}

AppInstance& AppCluster::add_instance(std::map<std::string, std::string> env) {
  auto app = std::make_unique<AppInstance>();
  app->id = "app-" + std::to_string(apps_.size() + 1);
  app->log_path = (dir_ / (app->id + ".log")).string();
  process::SpawnOptions options = spawn_options(app->id, env);
  const bool own_admin = !options.env.count("SCALELAB_ADMIN_LISTEN");
  for (int attempt = 0; attempt < 5; ++attempt) {
    app->port = net::free_port();
    options.env["SCALELAB_LISTEN"] = "127.0.0.1:" + std::to_string(app->port);
    if (own_admin) {
      app->admin_port = net::free_port();
      options.env["SCALELAB_ADMIN_LISTEN"] = "127.0.0.1:" + std::to_string(app->admin_port);
    }
    app->process = process::Process::spawn(options);
    // The app binds its admin address first: once the service port answers, both are
    // bound.
    if (net::wait_for_port("127.0.0.1", app->port, std::chrono::seconds(10))) break;
    app->process.stop();  // lost a port to someone else: try others
  }
  apps_.push_back(std::move(app));
  return *apps_.back();
}

bool AppCluster::wait_ready(std::size_t i, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto c = client(i);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto r = c->Get("/readyz"); r && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::unique_ptr<httplib::Client> AppCluster::client(std::size_t i) const { return loopback_client(apps_.at(i)->port); }

std::unique_ptr<httplib::Client> AppCluster::admin_client(std::size_t i) const {
  return loopback_client(apps_.at(i)->admin_port);
}

std::unique_ptr<httplib::Client> AppCluster::loopback_client(std::uint16_t port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_tcp_nodelay(true);
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(5, 0);
  c->set_write_timeout(5, 0);
  return c;
}

std::string session_cookie(const httplib::Result& login) {
  if (!login) return {};
  const std::string set = login->get_header_value("Set-Cookie");
  const auto start = set.find("sid=");
  if (start == std::string::npos) return {};
  const auto end = set.find(';', start);
  return set.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace scalelab::testkit
