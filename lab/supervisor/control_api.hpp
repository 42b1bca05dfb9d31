// The supervisor's loopback HTTP/JSON control API, which the CLI, experiments and the
// live console use. Routes and shapes are documented in lab/README.md. Every command
// is handed to the supervisor's main loop; errors are {"error","detail"} with a 4xx
// for a wrong request and 5xx when the lab cannot do it.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <thread>

#include "common/gated_server.hpp"
#include "lab/supervisor/supervisor.hpp"

namespace scalelab::lab {

class ControlApi {
 public:
  explicit ControlApi(Supervisor& supervisor);
  ~ControlApi();
  // Binds 127.0.0.1:port and serves on background threads. Throws std::runtime_error.
  void start(std::uint16_t port);
  void stop();
  // For the live console (lab/console/): extra routes registered on the same server.
  httplib::Server& server() { return server_; }

 private:
  void routes();
  Supervisor& supervisor_;
  GatedServer server_;  // cpp-httplib behind the request gate (common/gated_server.hpp)
  std::thread thread_;
  std::uint16_t port_ = 0;
};

}  // namespace scalelab::lab
