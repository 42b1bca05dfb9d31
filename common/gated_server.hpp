// An httplib::Server (cpp-httplib 0.11.4) with a RequestGate (http_gate.hpp) in front
// of every connection, so its bounds hold for every scalelab server built on
// cpp-httplib: the app's service port, and the supervisor's control API and console.
// Use it as an httplib::Server; only the connection loop differs:
//   - each request is read through the gate: bounded head, lines and chunk lines,
//     framing-less requests read as empty, refusals answered in JSON (gate_stream.hpp);
//   - keep-alive as configured (set_keep_alive_max_count / _timeout), but an idle
//     connection notices stop() within 50 ms, so stop() no longer waits it out;
//   - bound with SO_REUSEADDR and never SO_REUSEPORT, so a second process on a port in
//     use fails to bind instead of sharing the port. Do not call set_socket_options.
#pragma once

#include <httplib.h>

#include <functional>
#include <string>

#include "common/gate_stream.hpp"

namespace scalelab {

class GatedServer : public httplib::Server {
 public:
  // (Not "Options": that name is httplib::Server's, for its OPTIONS routes.)
  struct Config {
    http_gate::Limits limits;
    int listen_backlog = 1024;  // cpp-httplib listens with 5: a burst of connects would see SYNs dropped
    // Called once per refused request before the gate answers it; may add headers to
    // the answer, and count or log the refusal (gate_stream.hpp).
    std::function<void(const http_gate::Refusal& refusal, httplib::Headers& headers)> on_refused;
  };

  GatedServer();
  explicit GatedServer(Config config);

  // bind_to_port, then the larger listen backlog. False, with errno set, if it cannot
  // (EADDRINUSE when another socket listens on the port).
  bool bind(const std::string& host, int port);

 private:
  bool process_and_close_socket(socket_t sock) override;

  Config config_;
};

}  // namespace scalelab
