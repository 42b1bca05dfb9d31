// scalelab-faultproxy: the lab's Toxiproxy-style TCP proxy on the links to Redis and S3.
// Thin: flags and environment into ServerOptions, then one Server until SIGTERM/SIGINT.
#include <cstdio>
#include <string>
#include <system_error>
#include <vector>

#include "common/config.hpp"
#include "common/log.hpp"
#include "lab/faultproxy/server.hpp"

using namespace scalelab;

int main(int argc, char** argv) {
  std::vector<std::string> proxies;
  std::string api = "127.0.0.1:8474";
  std::string log_level = "info";

  CLI::App app{"scalelab-faultproxy: a TCP proxy that injects Toxiproxy-style faults (latency, bandwidth, "
               "timeout, reset_peer, slow_close, down), driven over a loopback HTTP/JSON API",
               "scalelab-faultproxy"};
  config::option(app, "--proxy", "SCALELAB_FAULTPROXY_PROXIES", proxies,
                 "a proxied link NAME=LISTEN_HOST:PORT,UPSTREAM_HOST:PORT; repeatable (in the variable, ';'-separated)")
      ->delimiter(';')
      ->required();
  config::option(app, "--api", "SCALELAB_FAULTPROXY_API", api, "control API address, loopback only");
  config::option(app, "--log-level", "SCALELAB_FAULTPROXY_LOG_LEVEL", log_level, "debug, info, warn or error");
  config::parse_or_exit(app, argc, argv);

  faultproxy::ServerOptions options;
  try {
    log::init("faultproxy", "", log::parse_level(log_level));
    log::write_in_background();
    for (const auto& p : proxies) options.proxies.push_back(faultproxy::parse_proxy_definition(p));
    const auto api_address = net::parse_host_port(api);
    if (!api_address) throw std::invalid_argument("--api: bad address '" + api + "' (expected HOST:PORT)");
    options.api = *api_address;
    faultproxy::validate(options);
  } catch (const std::invalid_argument& e) {
    config::die(app.get_name(), e.what(), config::kExitUsage);
  }

  try {
    faultproxy::Server server(options);
    server.handle_signals();
    server.run();
  } catch (const std::exception& e) {
    log::error("fault proxy failed", {{"error", e.what()}});
    config::die(app.get_name(), e.what(), config::kExitFailure);
  }
  return config::kExitOk;
}
