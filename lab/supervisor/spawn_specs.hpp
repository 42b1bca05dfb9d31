// How each kind of component is started in a lab: its command line, environment, ports
// and folders, all derived from the LabConfig. Kept apart from the supervisor's loop so
// the one place that knows every flag of every binary is small and testable.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/process.hpp"
#include "lab/supervisor/component.hpp"
#include "lab/supervisor/lab_config.hpp"

namespace scalelab::lab {

// The folder a component keeps its data in, under the run folder.
std::filesystem::path data_dir(const LabConfig& c, const std::string& id);
std::filesystem::path log_path(const LabConfig& c, const std::string& id);

// PostgreSQL's data folder for the lab, made and initialised (initdb, about a second)
// the first time: under data_dir(c, "postgres"), or where common/backing_services.hpp
// puts it when we run as root. The lab's database lives as long as the lab: the
// supervisor removes it when it stops (remove_postgres_data).
std::filesystem::path prepare_postgres(const LabConfig& c);
void remove_postgres_data(const LabConfig& c) noexcept;
// The server connections pgbouncer may hold, whatever the instances ask of it.
int pgbouncer_server_connections(const LabConfig& c);

// What one instance of this lab serves at once, and why: its workers (or its cap on
// connections, a thread or a fiber each, with the other SCALELAB_APP_MODELs), or the
// balancer's connections to it when they are fewer (the lab gives the balancer three
// quarters of that, unless balancer_env says otherwise).
struct InstanceSlots {
  int slots = 0;
  std::string reason;  // "32 workers", "24 balancer connections"
  // The threads that run its handlers when they cap its CPU: an event loop's 1, the
  // loops of event-loops or the threads of fibers (SCALELAB_LOOPS, or the cores).
  // nullopt for the thread models.
  std::optional<int> cpu_threads;
};
InstanceSlots instance_slots(const LabConfig& c);

// The command line and environment for `component`. For apps, `state_env` carries
// SCALELAB_STATE and its per-concern overrides as the lab has them now.
process::SpawnOptions spawn_options(const LabConfig& c, Kind kind, const std::string& id, std::uint16_t port);

// The balancer settings the lab passes as flags, which flags would beat in
// balancer_env: for such a key, a one-line refusal naming what sets it instead
// (SCALELAB_BALANCER_ALGORITHM: `--lb`); for any other key, nothing.
std::optional<std::string> refused_balancer_env(const std::string& key);

// What an instance in the lab's current state shows in X-Scalelab-State: "shared" or
// "local" when every concern agrees, else "sessions=local,cache=shared,...".
std::string state_header(const LabConfig& c);

// SCALELAB_STATE and SCALELAB_STATE_<CONCERN> for the lab's current state.
std::map<std::string, std::string> state_environment(const LabConfig& c);

// Writes <run>/prometheus/prometheus.yml (scrape jobs app, balancer, faultproxy read
// their targets from files the supervisor keeps current).
void write_prometheus_config(const LabConfig& c);
// Rewrites the target files: `apps` maps instance id to port.
void write_prometheus_targets(const LabConfig& c, const std::map<std::string, std::uint16_t>& apps);

}  // namespace scalelab::lab
