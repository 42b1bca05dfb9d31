// scalelab-balancer: flags and environment into Settings, then the server. Everything
// else lives in the scalelab_balancer library, where the tests reach it.
#include "balancer/server.hpp"
#include "balancer/settings.hpp"
#include "common/config.hpp"
#include "common/log.hpp"

int main(int argc, char** argv) {
  using namespace scalelab;
  balancer::Settings settings;
  CLI::App app{"scalelab-balancer: an HTTP/1.1 reverse proxy (round robin, least_conn, sticky)", "scalelab-balancer"};
  balancer::add_options(app, settings);
  config::parse_or_exit(app, argc, argv);
  if (const std::string error = balancer::finish(settings); !error.empty()) config::die("scalelab-balancer", error);
  log::init("balancer", settings.instance, log::parse_level(settings.log_level));
  log::write_in_background(settings.log_buffer_bytes);
  return balancer::run(settings);
}
