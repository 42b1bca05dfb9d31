#include "lab/supervisor/component.hpp"

#include <signal.h>

namespace scalelab::lab {

std::string to_string(Kind k) {
  switch (k) {
    case Kind::redis: return "redis";
    case Kind::s3: return "s3";
    case Kind::postgres: return "postgres";
    case Kind::pgbouncer: return "pgbouncer";
    case Kind::faults: return "faults";
    case Kind::balancer: return "balancer";
    case Kind::app: return "app";
    case Kind::prometheus: return "prometheus";
  }
  return "app";
}

int stop_signal(Kind kind) { return kind == Kind::postgres ? SIGINT : SIGTERM; }

std::string to_string(State s) {
  switch (s) {
    case State::starting: return "starting";
    case State::ready: return "ready";
    case State::unready: return "unready";
    case State::draining: return "draining";
    case State::paused: return "paused";
    case State::killed: return "killed";
    case State::down: return "down";
    case State::stopped: return "stopped";
  }
  return "down";
}

nlohmann::json Component::to_json(Clock::time_point now) const {
  const bool running = state != State::killed && state != State::down && state != State::stopped;
  nlohmann::json j{{"id", id},
                   {"kind", lab::to_string(kind)},
                   {"pid", running && process.valid() ? process.pid() : 0},
                   {"address", "127.0.0.1:" + std::to_string(port)},
                   {"state", lab::to_string(state)},
                   {"uptime_s", running ? std::chrono::duration<double>(now - started_at).count() : 0.0},
                   {"started_unix_ms", started_unix_ms},
                   {"restarts", restarts},
                   {"last_exit", last_exit},
                   {"last_error", last_error},
                   {"detail", detail}};
  if (kind == Kind::app) {
    j["state_mode"] = state_mode;
    j["in_balancer"] = in_balancer;
    j["admin_address"] = "127.0.0.1:" + std::to_string(admin_port);
  }
  return j;
}

}  // namespace scalelab::lab
