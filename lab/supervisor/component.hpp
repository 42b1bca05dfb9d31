// One process of the lab as the supervisor sees it: what it is, how to start it, its
// process, and where it stands. States, as `scalelab status` shows them:
//   starting  spawned, not ready yet        ready     answers its readiness check
//   unready   alive, check failing          draining  leaving: no new requests
//   paused    SIGSTOP                       killed    ended by `scalelab kill`
//   down      ended by itself               stopped   ended by `down` or a scale-in
#pragma once

#include <chrono>
#include <future>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/process.hpp"

namespace scalelab::lab {

using Clock = std::chrono::steady_clock;

enum class Kind { redis, s3, postgres, pgbouncer, faults, balancer, app, prometheus };
enum class State { starting, ready, unready, draining, paused, killed, down, stopped };

std::string to_string(Kind k);
// The signal that stops a component of `kind` cleanly: SIGTERM, but SIGINT for
// PostgreSQL, whose SIGTERM ("smart" shutdown) waits for every client to leave.
int stop_signal(Kind kind);
std::string to_string(State s);

struct ProbeResult {
  bool ready = false;
  std::string detail;      // why not, or what it said
  std::string state_mode;  // apps: their X-Scalelab-State
};

struct Component {
  std::string id;     // redis, s3, faults, balancer, prometheus, app-<n>
  Kind kind = Kind::app;
  int number = 0;     // apps: n
  std::uint16_t port = 0;        // where it serves (shown in status)
  std::uint16_t probe_port = 0;  // where its readiness is checked (an admin port for some)
  std::uint16_t admin_port = 0;  // apps: their admin API (the state toggle)
  std::string log_path;

  process::Process process;
  State state = State::starting;
  Clock::time_point started_at{};
  std::int64_t started_unix_ms = 0;
  int restarts = 0;
  std::string last_exit;      // "exit 0", "signal KILL"
  std::string last_error;     // at its last exit, the line of its log that says why (log_tail.hpp)
  std::uint64_t log_offset = 0;  // the size of its log when it was last spawned
  std::string detail;         // the last readiness detail
  std::string state_mode;     // apps
  std::optional<int> kill_signal;  // set by `kill`: the next exit is a kill

  // What the supervisor plans for it.
  std::optional<Clock::time_point> restart_at;   // restart policy or a pending spawn
  bool restart_after_exit = false;               // `restart`: spawn again once it exits
  std::optional<Clock::time_point> stop_deadline;  // SIGKILL if still alive then
  bool removing = false;                         // scale-in: forget it once it exits
  bool drain_sent = false;                       // scale-in: the balancer was told to drain it
  std::optional<Clock::time_point> drain_deadline;  // scale-in: SIGTERM once drained or then
  bool in_balancer = false;                      // apps: registered with the balancer
  Clock::time_point next_state_sync{};           // apps: when to push the lab's state again

  int failed_probes = 0;  // in a row: one slow answer on a busy machine is not an outage

  // Readiness probing, off the main loop.
  std::future<ProbeResult> probe;
  Clock::time_point next_probe{};

  bool alive() { return process.valid() && process.running(); }
  nlohmann::json to_json(Clock::time_point now) const;
};

}  // namespace scalelab::lab
