// N real scalelab-app processes on free ports, sharing a real redis-server and s3rver,
// for tests that need the service itself: state across instances, signals, outages.
// Everything stops when the cluster goes away, and dies with the test if it crashes.
#pragma once

#include <httplib.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/process.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/temp_dir.hpp"

namespace scalelab::testkit {

struct AppInstance {
  std::string id;
  std::uint16_t port = 0;
  std::uint16_t admin_port = 0;  // 0 when the test turned the admin listener off
  std::string log_path;
  process::Process process;
};

class AppCluster {
 public:
  // Starts redis-server, s3rver and `instances` apps (app-1, app-2, ...) with `env`
  // added to each app's environment; returns once every app is ready. Each app gets
  // an admin address of its own on a free port unless `env` sets SCALELAB_ADMIN_LISTEN.
  explicit AppCluster(int instances, std::map<std::string, std::string> env = {});
  ~AppCluster();

  std::size_t size() const { return apps_.size(); }
  AppInstance& app(std::size_t i) { return *apps_.at(i); }
  // A client for instance i (0-based), TCP_NODELAY on, 5 s timeouts.
  std::unique_ptr<httplib::Client> client(std::size_t i) const;
  // The same for instance i's admin address.
  std::unique_ptr<httplib::Client> admin_client(std::size_t i) const;
  RedisServer& redis() { return redis_; }
  S3Server& s3() { return s3_; }
  const TempDir& dir() const { return dir_; }

  // Starts one more instance (id app-<n>) with the cluster's environment plus `env`.
  AppInstance& add_instance(std::map<std::string, std::string> env = {});
  // How an instance `id` is started (log: <dir>/<id>.log), before its addresses
  // (SCALELAB_LISTEN, SCALELAB_ADMIN_LISTEN) are set: for a test that starts one
  // itself, say on a port already in use.
  process::SpawnOptions spawn_options(const std::string& id, const std::map<std::string, std::string>& env = {}) const;
  // How an instance `id` on `port` is started (log: <dir>/<id>.log), for a test that
  // starts one itself, say on a port already in use.
  process::SpawnOptions spawn_options(const std::string& id, std::uint16_t port,
                                      const std::map<std::string, std::string>& env = {}) const;
  // Waits until instance i answers /readyz with 200; false after `timeout`.
  bool wait_ready(std::size_t i, std::chrono::milliseconds timeout = std::chrono::seconds(15));

  // The path of a binary built next to the tests.
  static std::string binary(const std::string& name);

 private:
  static std::unique_ptr<httplib::Client> loopback_client(std::uint16_t port);
  TempDir dir_{"scalelab-cluster"};
  RedisServer redis_;
  S3Server s3_;
  std::map<std::string, std::string> env_;
  std::vector<std::unique_ptr<AppInstance>> apps_;
};

// The sid cookie a login response set, or "".
std::string session_cookie(const httplib::Result& login);

}  // namespace scalelab::testkit
