// Server is a whole fault proxy process as an object: its proxies, its control API and
// its metrics on one single-threaded io_context. main.cpp runs one; tests run
// one in-process on a thread. Construction binds every port, so a port in use is an
// error before anything runs.
#pragma once

#include "common/asio.hpp"

#include <map>
#include <memory>
#include <string>

#include <prometheus/registry.h>

#include "lab/faultproxy/api_handler.hpp"
#include "lab/faultproxy/api_server.hpp"
#include "lab/faultproxy/options.hpp"
#include "lab/faultproxy/proxy.hpp"

namespace scalelab::faultproxy {

class Server {
 public:
  // Validates the options and binds every listener. Throws std::invalid_argument (bad
  // options) or std::system_error (a port in use, an unresolvable host).
  explicit Server(const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // SIGTERM and SIGINT will stop the server. Call before run().
  void handle_signals();
  // Serves until stop() (or a handled signal); returns once every connection is closed.
  void run();
  // Thread-safe; may be called before, during or after run().
  void stop();

 private:
  void shutdown();

  ServerOptions options_;
  asio::io_context io_{1};
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  MetricFamilies families_{*registry_};
  std::map<std::string, std::shared_ptr<Proxy>> proxies_;
  ApiHandler handler_{proxies_, *registry_};
  std::unique_ptr<ApiServer> api_;
  asio::signal_set signals_{io_};
  bool stopped_ = false;
};

}  // namespace scalelab::faultproxy
