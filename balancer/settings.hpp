// Settings holds every knob of scalelab-balancer in one struct, bound to flags and
// SCALELAB_BALANCER_* environment variables through common/config.hpp. Anything the
// rest of the balancer reads at run time comes from a validated Settings, so no other
// file parses user configuration.
//
// Contract: add_options() registers every flag with its env mirror and a validator,
// so config::parse_or_exit() rejects bad values with one line and exit 2. After a
// successful parse, finish() resolves the cross-field rules (returns an error message
// or empty) and fills the derived fields (parsed backend specs, listen addresses).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/net.hpp"

namespace CLI {
class App;
}

namespace scalelab::balancer {

enum class Algorithm { round_robin, least_conn, sticky };

std::optional<Algorithm> parse_algorithm(std::string_view name);
const char* algorithm_name(Algorithm a);

// `--backend` accepts "host:port" or "id=host:port". Ids are 1..64 characters of
// [A-Za-z0-9._:-], so they are safe as cookie values, URL path segments and labels.
struct BackendSpec {
  std::string id;  // empty: derived from the address (derive_backend_id)
  net::HostPort address;
};
std::optional<BackendSpec> parse_backend_spec(std::string_view text);
bool is_valid_backend_id(std::string_view id);
std::string derive_backend_id(const net::HostPort& address);

struct Settings {
  // Listeners
  std::string listen = "127.0.0.1:8080";
  std::string admin_listen = "127.0.0.1:8079";
  std::string admin_token;
  int threads = 1;
  int max_client_connections = 10000;

  // Membership and balancing
  std::string algorithm_name = "round_robin";
  std::vector<std::string> backends;
  std::string discover_dns;  // "name:port"
  int dns_interval_ms = 5000;
  std::string sticky_cookie = "scalelab_backend";
  int slow_start_ms = 0;  // a backend's share ramps up over this long once healthy (0: at once)

  // Scale to zero (activator.hpp): the lab supervisor's control API, asked for an
  // instance while requests find no backend at all; empty: no backend is 503 at once.
  std::string activator;  // "host:port"
  int activation_queue = 1000;        // requests waiting at once; beyond, 503
  int activation_timeout_ms = 30000;  // each waits at most this long, then 503

  // Active health checks (interval 0 turns them off; backends then start healthy)
  std::string health_path = "/readyz";
  int health_interval_ms = 2000;
  int health_timeout_ms = 1000;
  int health_rise = 2;
  int health_fall = 3;

  // Passive outlier detection
  int eject_consecutive_5xx = 5;  // 0 turns it off
  int ejection_time_ms = 5000;
  int ejection_max_ms = 60000;

  // Timeouts
  int connect_timeout_ms = 2000;
  int header_timeout_ms = 10000;        // the whole request header must arrive within this (408)
  int client_timeout_ms = 30000;        // client inactivity while reading its body or writing to it
  int response_timeout_ms = 30000;      // upstream silence while waiting for or reading its response (504)
  int try_timeout_ms = 0;               // GET/HEAD: wait for the response header this long, then retry (0: off)
  int idle_timeout_ms = 60000;          // idle client keep-alive
  int upstream_idle_timeout_ms = 4000;  // idle pooled upstream connection; below cpp-httplib's 5 s
  int queue_timeout_ms = 2000;          // waiting for a pooled connection slot (503)
  int shutdown_timeout_ms = 30000;      // SIGTERM grace for in-flight requests

  // Limits
  std::size_t max_header_bytes = 16 * 1024;             // request header (431)
  std::uint64_t max_body_bytes = 100ull * 1024 * 1024;  // request body (413)
  std::size_t max_response_header_bytes = 64 * 1024;
  int max_conns_per_backend = 8;  // split across threads; see README "Upstream pools"

  // Retries
  int retries = 2;  // extra attempts after the first
  double retry_budget_ratio = 0.2;
  int retry_budget_min = 10;

  // Logs
  std::string log_level = "info";
  bool access_log = true;
  std::size_t log_buffer_bytes = 1 << 20;  // lines waiting for the log's reader (common/log.hpp)
  std::string instance;

  // Derived by finish()
  Algorithm algorithm = Algorithm::round_robin;
  net::HostPort listen_address;
  net::HostPort admin_address;
  std::vector<BackendSpec> backend_specs;
  std::optional<net::HostPort> dns_target;
  std::optional<net::HostPort> activator_address;

  std::chrono::milliseconds ms(int v) const { return std::chrono::milliseconds(v); }
};

void add_options(CLI::App& app, Settings& s);

// Cross-field checks and derived fields. Returns an error message, or "" when valid.
std::string finish(Settings& s);

}  // namespace scalelab::balancer
