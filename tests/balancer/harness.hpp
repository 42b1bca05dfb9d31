// Test harness for the balancer's integration tests: real test backends and a real
// scalelab-balancer, each a child process on free loopback ports, stopped (and killed
// with the test if it crashes) when the objects go away; plus small HTTP helpers, a
// raw-socket client for malformed input, and RSS readings from /proc.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/process.hpp"
#include "tests/support/proc_stats.hpp"
#include "tests/support/temp_dir.hpp"

namespace scalelab::balancer_test {

std::string binary(const std::string& name);  // SCALELAB_BINARY_DIR/bin/name

// balancer_test_backend on a free port (or the given host:port).
class TestBackend {
 public:
  explicit TestBackend(std::string id, std::string host = "127.0.0.1", std::uint16_t port = 0,
                       std::vector<std::string> prefix = {});
  ~TestBackend();
  const std::string& id() const { return id_; }
  std::uint16_t port() const { return port_; }
  std::string address() const { return host_ + ":" + std::to_string(port_); }
  std::string spec() const { return id_ + "=" + address(); }
  void signal(int sig);  // SIGKILL reaps; SIGSTOP/SIGCONT do not
  pid_t pid() const { return proc_.pid(); }

 private:
  std::string id_, host_;
  std::uint16_t port_;
  std::vector<std::string> prefix_;
  testkit::TempDir dir_{"scalelab-backend"};
  process::Process proc_;
};

// scalelab-balancer with the given extra flags; --listen and --admin-listen are added.
class Balancer {
 public:
  explicit Balancer(std::vector<std::string> flags, std::vector<std::string> prefix = {}, bool wait_ready = true);
  ~Balancer();
  std::uint16_t port() const { return port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  pid_t pid() const { return proc_.pid(); }
  process::Process& process() { return proc_; }
  std::string log() const;  // everything it wrote so far
  std::vector<nlohmann::json> access_lines() const;

  httplib::Client client() const;        // to the proxy port
  httplib::Client admin_client() const;  // to the admin port
  nlohmann::json backends() const;       // GET /admin/backends
  std::optional<nlohmann::json> backend(const std::string& id) const;
  std::string metrics() const;
  // The value of a metric line that starts with `series` (e.g. name{labels}), or -1.
  double metric(const std::string& series) const;

 private:
  std::uint16_t port_ = 0, admin_port_ = 0;
  testkit::TempDir dir_{"scalelab-balancer"};
  std::string log_path_;
  process::Process proc_;
};

httplib::Client make_client(const std::string& host, std::uint16_t port);

// Sends `bytes` on a new connection and reads until the peer closes or `timeout`
// passes. Returns everything read.
std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));
// The status code of the first response in `raw`, or 0.
int status_of(const std::string& raw);

using testkit::peak_rss_kib;  // tests/support/proc_stats.hpp
using testkit::rss_kib;

// Polls `pred` every 20 ms until it holds or `timeout` passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace scalelab::balancer_test
