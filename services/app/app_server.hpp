// Serves an App over HTTP/1.1 with cpp-httplib's worker pool. Everything that happens
// to every request lives here: context and request ids, routing, the middleware (the
// session lookup and the per-user rate limit), error mapping to {"error","detail"},
// the headers every response carries, the access log, and metrics.
//
// Two listeners: the service port (api and ops routes; what the balancer forwards to)
// and, unless turned off, the admin address (ops and admin routes), where every request
// passes common/admin_guard.hpp first. /admin/* does not exist on the service port, so
// nothing that reaches it through the balancer can toggle or drain an instance. Both
// read their requests through the request gate (common/gated_server.hpp).
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <thread>

#include "common/gated_server.hpp"
#include "services/app/app.hpp"

namespace scalelab::app {

class AppServer {
 public:
  explicit AppServer(App& app);
  ~AppServer();

  // Binds the configured addresses; throws std::runtime_error if it cannot.
  void bind();
  std::uint16_t port() const { return port_; }
  // Starts serving on background threads and returns once accepting.
  void start();

  // The SIGTERM path: readiness turns false at once and every response says
  // Connection: close; after `grace` the instance waits for in-flight requests, stops
  // accepting, and returns true if nothing was still running by `timeout`.
  bool drain(std::chrono::milliseconds grace, std::chrono::milliseconds timeout);
  // Stops accepting now (tests).
  void stop();

 private:
  void configure(GatedServer& server, Listener listener);
  void dispatch(Listener listener, const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader* reader);
  // Lets a request to the admin listener through, or throws the guard's HttpError
  // (403, or 401 with WWW-Authenticate).
  void guard_admin(const httplib::Request& req, httplib::Response& res, RouteKind kind);
  void run_middleware(Exchange& ex, const Route& route);
  void answer_error(Exchange& ex, std::exception_ptr error);
  RequestContext& context_for(const httplib::Request& req);
  void begin(const httplib::Request& req);
  void finish_headers(const httplib::Request& req, httplib::Response& res);
  void log_request(Listener listener, const httplib::Request& req, const httplib::Response& res);
  bool wait_idle(std::chrono::steady_clock::time_point deadline);

  App& app_;
  GatedServer server_;  // the service port
  GatedServer admin_;   // the admin address, when configured
  std::thread thread_, admin_thread_;
  std::uint16_t port_ = 0;
  std::atomic<long> in_flight_{0};
};

}  // namespace scalelab::app
