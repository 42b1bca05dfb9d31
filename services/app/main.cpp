// scalelab-app: parse the configuration, serve, and drain on SIGTERM or SIGINT.
#include <signal.h>
#include <unistd.h>

#include "common/config.hpp"
#include "common/log.hpp"
#include "common/process.hpp"
#include "services/app/app_server.hpp"
#include "services/app/cold_start.hpp"

using namespace scalelab;

int main(int argc, char** argv) {
  app::AppConfig config = app::parse_app_config(argc, argv);
  log::init("scalelab-app", config.instance_id, log::parse_level(config.log_level));
  log::write_in_background(config.log_buffer_bytes);

  // Signals are taken by sigwait below, so block them before any thread exists.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // A simulated cold start (cold_start.hpp); SIGTERM still ends it.
  if (config.startup_delay.count() > 0 || config.startup_cpu.count() > 0) {
    log::info("starting slowly",
              {{"startup_delay_ms", config.startup_delay.count()}, {"startup_cpu_ms", config.startup_cpu.count()}});
    if (!app::simulate_cold_start(config.startup_delay, config.startup_cpu, stop_signals)) {
      log::flush();
      ::_exit(0);
    }
  }

  std::unique_ptr<app::App> application;
  try {
    application = std::make_unique<app::App>(config);
  } catch (const std::exception& e) {
    config::die("scalelab-app", e.what(), config::kExitFailure);
  }
  app::AppServer server(*application);
  try {
    server.bind();
  } catch (const std::exception& e) {
    config::die("scalelab-app", e.what(), config::kExitFailure);
  }
  server.start();
  log::info("listening", {{"address", config.listen.str()},
                          {"admin_address", config.admin_listen ? config.admin_listen->str() : "off"},
                          {"model", std::string(app::to_string(config.model))},
                          {"workers", config.workers},
                          {"max_threads", config.max_threads},
                          {"state", application->state.to_json()},
                          {"redis", config.redis.host + ":" + std::to_string(config.redis.port)},
                          {"s3", config.s3.endpoint + "/" + config.s3.bucket},
                          {"data_dir", config.data_dir}});
  application->stores.ensure_catalog_seeded();

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::info("draining", {{"signal", process::signal_name(sig)},
                         {"grace_ms", config.drain_grace.count()},
                         {"timeout_ms", config.shutdown_timeout.count()}});
  const bool clean = server.drain(config.drain_grace, config.shutdown_timeout);
  log::info(clean ? "stopped: every in-flight request finished" : "stopped: in-flight requests were cut at the timeout");
  // A worker still serving a request the timeout cut would hold a normal exit (the
  // pool joins its threads); nothing it holds needs saving but its last log lines.
  log::flush();
  ::_exit(clean ? 0 : 1);
}
