// A small real scalelab topology on loopback, for the tests that need live /metrics:
// redis-server, s3rver and PostgreSQL, a scalelab-faultproxy on the Redis link, one
// scalelab-app behind it (its admin API on an address of its own, with kAdminToken),
// a scalelab-balancer with that app plus a backend that refuses connections (so
// ejections and retries happen), and PostgreSQL's exporter (Debian's
// prometheus-postgres-exporter, what compose and Kubernetes run as job `postgres`).
// drive() sends traffic that makes every labelled series the dashboard and the rules
// use exist, including a store error (a `down` fault on the Redis link for a moment)
// and a checkout with its order listing.
#pragma once

#include <cstdint>
#include <string>

#include "common/process.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/temp_dir.hpp"

namespace scalelab::deploytest {

class LiveStack {
 public:
  LiveStack();  // starts everything; throws std::runtime_error naming what failed
  ~LiveStack();

  static constexpr const char* kAdminToken = "deploy-test-token";

  std::uint16_t app_port() const { return app_port_; }
  std::uint16_t app_admin_port() const { return app_admin_port_; }
  std::uint16_t balancer_port() const { return balancer_port_; }
  std::uint16_t balancer_admin_port() const { return balancer_admin_port_; }
  std::uint16_t faults_api_port() const { return faults_api_port_; }

  // Logins, session hits and misses, carts, items, uploads found and missing, and
  // one store error through a Redis outage. Returns once the app is ready again.
  void drive();

  // GET path on 127.0.0.1:port; throws unless 200.
  static std::string get(std::uint16_t port, const std::string& path);

  std::string app_metrics() const { return get(app_port_, "/metrics"); }
  std::string balancer_metrics() const { return get(balancer_admin_port_, "/metrics"); }
  std::string faultproxy_metrics() const { return get(faults_api_port_, "/metrics"); }
  std::string postgres_exporter_metrics() const { return get(exporter_port_, "/metrics"); }
  // The fault proxy's metrics as they were while the Redis fault was active.
  const std::string& faultproxy_metrics_during_fault() const { return faults_during_fault_; }

 private:
  process::Process spawn(const std::string& name, process::SpawnOptions options, std::uint16_t ready_port,
                         const std::string& ready_path);

  testkit::TempDir dir_{"scalelab-deploy-stack"};
  testkit::RedisServer redis_;
  testkit::S3Server s3_;
  testkit::PostgresServer postgres_;
  std::uint16_t redis_proxy_port_ = 0, faults_api_port_ = 0, app_port_ = 0, app_admin_port_ = 0;
  std::uint16_t balancer_port_ = 0, balancer_admin_port_ = 0, exporter_port_ = 0;
  process::Process faults_, app_, balancer_, exporter_;
  std::string faults_during_fault_;
};

}  // namespace scalelab::deploytest
