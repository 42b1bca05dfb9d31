// The fake app (fake_app.cpp) as a process a test owns: started on a free port, asked
// for the deviations it served, and killed when the test ends, whatever happens.
#pragma once

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "common/net.hpp"
#include "common/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace scalelab::loadtest {

// This build's binaries: scalelab, scalelab-load-fake-app.
inline const std::string kBin = std::string(SCALELAB_BINARY_DIR) + "/bin/";

class FakeApp {
 public:
  // `mode` is good or broken (fake_app.cpp); `limit` is its rate limit per user and window.
  explicit FakeApp(const std::string& mode, int limit = 50) {
    using namespace std::chrono_literals;
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = net::free_port();
      proc_ = process::Process::spawn({.argv = {kBin + "scalelab-load-fake-app", "--port", std::to_string(port_),
                                                "--mode", mode, "--rate-limit", std::to_string(limit)},
                                       .log_path = (dir_ / "fake.log").string()});
      if (net::wait_for_port("127.0.0.1", port_, 10s)) return;
    }
    throw std::runtime_error("fake app did not start");
  }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  // The deviations served so far, by violation kind.
  nlohmann::json stats() const {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Get("/fake/stats");
    if (!res) throw std::runtime_error("no /fake/stats");
    return nlohmann::json::parse(res->body);
  }

 private:
  testkit::TempDir dir_{"scalelab-load-fake"};
  std::uint16_t port_ = 0;
  process::Process proc_;
};

}  // namespace scalelab::loadtest
