// What a lab is made of, decided by `scalelab up` and kept in <run dir>/lab.json so the
// CLI, the supervisor, experiments and the console all agree on it: the run folder,
// the ports (all derived from one base port, so two labs can run side by side), the
// number of instances, where state lives, the balancing algorithm and the restart
// policy.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lab/supervisor/autoscaler.hpp"

namespace scalelab::lab {

enum class RestartPolicy { never, always };

// Every port of a lab, from its base port P.
struct Ports {
  std::uint16_t base = 8080;
  std::uint16_t balancer() const { return base; }            // P     the service, through the balancer
  std::uint16_t balancer_admin() const { return base + 1; }  // P+1   /admin/backends, /metrics
  std::uint16_t supervisor() const { return base + 2; }      // P+2   control API and console
  std::uint16_t redis() const { return base + 3; }           // P+3   redis-server itself
  std::uint16_t redis_proxy() const { return base + 4; }     // P+4   what the apps use for Redis
  std::uint16_t s3() const { return base + 5; }              // P+5   s3rver itself
  std::uint16_t s3_proxy() const { return base + 6; }        // P+6   what the apps use for S3
  std::uint16_t faults_api() const { return base + 7; }      // P+7   the fault proxy's API
  std::uint16_t prometheus() const { return base + 8; }      // P+8
  std::uint16_t postgres() const { return base + 9; }        // P+9   PostgreSQL (the instances' own, or pgbouncer's)
  std::uint16_t pgbouncer() const { return base + 10; }      // P+10  pgbouncer, when it pools
  std::uint16_t app(int n) const { return static_cast<std::uint16_t>(base + 10 + n); }  // P+11, P+12, ...
  // app-N's admin API (/admin/state, /admin/drain), never reachable through the balancer.
  std::uint16_t app_admin(int n) const { return static_cast<std::uint16_t>(app(n) + kMaxInstances); }  // P+61, ...
  static constexpr int kMaxInstances = 50;
  static constexpr int kSpan = 10 + 2 * kMaxInstances;  // a lab uses ports P to P+kSpan
};

// The header that carries LabConfig::id on every answer of the control API.
inline constexpr std::string_view kLabIdHeader = "X-Scalelab-Lab";

struct LabConfig {
  std::filesystem::path dir = ".scalelab";
  // A random name given at `up`: the supervisor sends it with every answer and
  // LabClient checks it, so a client never takes another lab's supervisor, which
  // may have bound this lab's port in the moment between the port check and the
  // bind, for its own (lab_client.hpp).
  std::string id;
  Ports ports;
  int instances = 3;
  std::string state = "shared";                  // for every concern...
  std::map<std::string, std::string> state_overrides;  // ...unless a concern says otherwise
  std::string algorithm = "round_robin";
  RestartPolicy restart = RestartPolicy::never;
  std::chrono::milliseconds restart_delay{1000};
  bool prometheus = false;
  std::map<std::string, std::string> app_env;    // extra SCALELAB_* for every instance
  std::map<std::string, std::string> balancer_env;  // extra SCALELAB_BALANCER_* for the balancer
  std::string binaries;                          // folder of scalelab-app, -balancer, -faultproxy
  // The database of record (PostgreSQL 15, started by the lab; see lab/README.md):
  // on by default, with a budget of `db_max_connections` that every instance's pool
  // shares, and optionally pgbouncer in transaction mode in front of it.
  bool database = true;
  int db_max_connections = 100;
  std::string db_pooler = "none";                // "none" or "pgbouncer"
  // When set, the supervisor decides `instances` (autoscaler.hpp); `scalelab scale` is refused.
  std::optional<AutoscalePolicy> autoscale;

  std::uint16_t highest_port() const { return ports.app_admin(Ports::kMaxInstances); }
};

nlohmann::json to_json(const LabConfig& c);
// Throws std::invalid_argument naming the bad field.
LabConfig lab_config_from_json(const nlohmann::json& j);

// The URL the lab's instances use for the database: PostgreSQL's, or pgbouncer's when it
// pools. Its role and database are made at start (store::bootstrap_database).
std::string instance_database_url(const LabConfig& c);
inline constexpr const char* kDbRole = "scalelab_app";
inline constexpr const char* kDbName = "scalelab";

// The file that names a lab's configuration and control port.
inline std::filesystem::path lab_file(const std::filesystem::path& dir) { return dir / "lab.json"; }
// Reads <dir>/lab.json. Throws std::runtime_error when there is no lab there.
LabConfig read_lab_config(const std::filesystem::path& dir);
void write_lab_config(const LabConfig& c);

std::string to_string(RestartPolicy p);
// "never" or "always". Throws std::invalid_argument otherwise.
RestartPolicy parse_restart_policy(const std::string& text);

}  // namespace scalelab::lab
