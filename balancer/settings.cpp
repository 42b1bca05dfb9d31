// Flag and environment binding for Settings; see settings.hpp.
#include "balancer/settings.hpp"

#include <algorithm>
#include <cctype>

#include "common/config.hpp"

namespace scalelab::balancer {
namespace {

const CLI::Validator kHostPort(
    [](std::string& v) -> std::string { return net::parse_host_port(v) ? "" : "expected HOST:PORT, got '" + v + "'"; },
    "HOST:PORT");

const CLI::Validator kBackend(
    [](std::string& v) -> std::string {
      return parse_backend_spec(v) ? "" : "expected [ID=]HOST:PORT with ID of [A-Za-z0-9._:-]{1,64}, got '" + v + "'";
    },
    "[ID=]HOST:PORT");

const CLI::Validator kAlgorithm(
    [](std::string& v) -> std::string {
      return parse_algorithm(v) ? "" : "unknown algorithm '" + v + "' (round_robin, least_conn, sticky)";
    },
    "round_robin|least_conn|sticky");

const CLI::Validator kLevel(
    [](std::string& v) -> std::string {
      return (v == "debug" || v == "info" || v == "warn" || v == "error") ? "" : "unknown log level '" + v + "'";
    },
    "debug|info|warn|error");

const CLI::Validator kPath(
    [](std::string& v) -> std::string {
      return (!v.empty() && v[0] == '/' && v.find_first_of(" \r\n\t") == std::string::npos)
                 ? ""
                 : "expected an absolute path";
    },
    "PATH");

const CLI::Validator kCookieName(
    [](std::string& v) -> std::string {
      const bool ok = !v.empty() && v.size() <= 64 && std::all_of(v.begin(), v.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
      });
      return ok ? "" : "expected 1..64 characters of [A-Za-z0-9._-]";
    },
    "NAME");

template <class T>
CLI::Option* opt(CLI::App& app, const char* flag, const char* env, T& target, const char* help) {
  return config::option(app, flag, std::string("SCALELAB_BALANCER_") + env, target, help);
}

template <class T>
void ranged(CLI::App& app, const char* flag, const char* env, T& target, T lo, T hi, const char* help) {
  config::option(app, flag, std::string("SCALELAB_BALANCER_") + env, target, help)->check(CLI::Range(lo, hi));
}

}  // namespace

std::optional<Algorithm> parse_algorithm(std::string_view name) {
  if (name == "round_robin") return Algorithm::round_robin;
  if (name == "least_conn") return Algorithm::least_conn;
  if (name == "sticky") return Algorithm::sticky;
  return std::nullopt;
}

const char* algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::round_robin:
      return "round_robin";
    case Algorithm::least_conn:
      return "least_conn";
    case Algorithm::sticky:
      return "sticky";
  }
  return "round_robin";
}

bool is_valid_backend_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-';
  });
}

std::string derive_backend_id(const net::HostPort& address) { return address.str(); }

std::optional<BackendSpec> parse_backend_spec(std::string_view text) {
  BackendSpec spec;
  if (const auto eq = text.find('='); eq != std::string_view::npos) {
    spec.id = std::string(text.substr(0, eq));
    if (!is_valid_backend_id(spec.id)) return std::nullopt;
    text = text.substr(eq + 1);
  }
  auto hp = net::parse_host_port(text);
  if (!hp || hp->host.empty()) return std::nullopt;
  spec.address = *hp;
  if (spec.id.empty()) spec.id = derive_backend_id(spec.address);
  return spec;
}

void add_options(CLI::App& app, Settings& s) {
  opt(app, "--listen", "LISTEN", s.listen, "proxy listener")->check(kHostPort);
  opt(app, "--admin-listen", "ADMIN_LISTEN", s.admin_listen, "admin API and /metrics listener")->check(kHostPort);
  opt(app, "--admin-token", "ADMIN_TOKEN", s.admin_token, "bearer token required by /admin/* (empty: none)");
  ranged(app, "--threads", "THREADS", s.threads, 1, 64, "event loops, one per thread");
  ranged(app, "--max-connections", "MAX_CONNECTIONS", s.max_client_connections, 1, 1000000,
         "open client connections; beyond it new ones are closed at once");

  opt(app, "--algorithm", "ALGORITHM", s.algorithm_name, "round_robin, least_conn or sticky")->check(kAlgorithm);
  opt(app, "--backend", "BACKENDS", s.backends, "static backend [ID=]HOST:PORT, repeatable (env: comma-separated)")
      ->check(kBackend)
      ->delimiter(',');
  opt(app, "--discover-dns", "DISCOVER_DNS", s.discover_dns,
      "NAME:PORT re-resolved periodically, every A record a backend")
      ->check(kHostPort);
  ranged(app, "--dns-interval-ms", "DNS_INTERVAL_MS", s.dns_interval_ms, 50, 3600000, "DNS re-resolution interval");
  opt(app, "--sticky-cookie", "STICKY_COOKIE", s.sticky_cookie, "affinity cookie name for --algorithm sticky")
      ->check(kCookieName);

  opt(app, "--activator", "ACTIVATOR", s.activator,
      "HOST:PORT of the lab's control API, asked for an instance (POST /activate) while requests find no backend; "
      "they wait for one (scale to zero). Empty: answer 503 at once")
      ->check(kHostPort);
  ranged(app, "--activation-queue", "ACTIVATION_QUEUE", s.activation_queue, 1, 1000000,
         "requests that may wait for a backend to start at once; beyond it, 503 with Retry-After");
  ranged(app, "--activation-timeout-ms", "ACTIVATION_TIMEOUT_MS", s.activation_timeout_ms, 1, 3600000,
         "the longest a request waits for a backend to start, then 503 with Retry-After");

  ranged(app, "--slow-start-ms", "SLOW_START_MS", s.slow_start_ms, 0, 3600000,
         "a backend that turns healthy takes a share growing from 10 % to all of it over this long (0: off)");

  opt(app, "--health-path", "HEALTH_PATH", s.health_path, "active health check path")->check(kPath);
  ranged(app, "--health-interval-ms", "HEALTH_INTERVAL_MS", s.health_interval_ms, 0, 3600000,
         "active check interval (0: no active checks)");
  ranged(app, "--health-timeout-ms", "HEALTH_TIMEOUT_MS", s.health_timeout_ms, 1, 600000, "active check timeout");
  ranged(app, "--health-rise", "HEALTH_RISE", s.health_rise, 1, 100, "consecutive passes to turn healthy");
  ranged(app, "--health-fall", "HEALTH_FALL", s.health_fall, 1, 100, "consecutive failures to turn unhealthy");

  ranged(app, "--eject-consecutive-5xx", "EJECT_CONSECUTIVE_5XX", s.eject_consecutive_5xx, 0, 10000,
         "consecutive 5xx or gateway failures that eject a backend (0: never)");
  ranged(app, "--ejection-time-ms", "EJECTION_TIME_MS", s.ejection_time_ms, 1, 86400000,
         "first ejection length; doubles on repeat");
  ranged(app, "--ejection-max-ms", "EJECTION_MAX_MS", s.ejection_max_ms, 1, 86400000, "longest ejection");

  ranged(app, "--connect-timeout-ms", "CONNECT_TIMEOUT_MS", s.connect_timeout_ms, 1, 600000, "upstream connect");
  ranged(app, "--header-timeout-ms", "HEADER_TIMEOUT_MS", s.header_timeout_ms, 1, 600000,
         "client request header read (408)");
  ranged(app, "--client-timeout-ms", "CLIENT_TIMEOUT_MS", s.client_timeout_ms, 1, 3600000,
         "client inactivity while sending its body or receiving the response");
  ranged(app, "--response-timeout-ms", "RESPONSE_TIMEOUT_MS", s.response_timeout_ms, 1, 3600000,
         "upstream silence before or during its response (504)");
  ranged(app, "--try-timeout-ms", "TRY_TIMEOUT_MS", s.try_timeout_ms, 0, 3600000,
         "GET/HEAD without a body: no response header within it retries on another backend (0: off)");
  ranged(app, "--idle-timeout-ms", "IDLE_TIMEOUT_MS", s.idle_timeout_ms, 1, 3600000, "idle client keep-alive");
  ranged(app, "--upstream-idle-timeout-ms", "UPSTREAM_IDLE_TIMEOUT_MS", s.upstream_idle_timeout_ms, 1, 3600000,
         "idle pooled upstream connection");
  ranged(app, "--queue-timeout-ms", "QUEUE_TIMEOUT_MS", s.queue_timeout_ms, 0, 600000,
         "wait for a pooled connection slot before 503");
  ranged(app, "--shutdown-timeout-ms", "SHUTDOWN_TIMEOUT_MS", s.shutdown_timeout_ms, 0, 3600000,
         "SIGTERM grace for in-flight requests");

  ranged(app, "--max-header-bytes", "MAX_HEADER_BYTES", s.max_header_bytes, std::size_t{256}, std::size_t{1} << 20,
         "request header limit (431)");
  ranged(app, "--max-body-bytes", "MAX_BODY_BYTES", s.max_body_bytes, std::uint64_t{0}, std::uint64_t{1} << 40,
         "request body limit (413)");
  ranged(app, "--max-response-header-bytes", "MAX_RESPONSE_HEADER_BYTES", s.max_response_header_bytes, std::size_t{256},
         std::size_t{1} << 20, "upstream response header limit (502)");
  ranged(app, "--max-conns-per-backend", "MAX_CONNS_PER_BACKEND", s.max_conns_per_backend, 1, 100000,
         "upstream connections per backend, split across threads; keep it below the backend's worker pool");

  ranged(app, "--retries", "RETRIES", s.retries, 0, 10, "extra attempts on other backends");
  ranged(app, "--retry-budget-ratio", "RETRY_BUDGET_RATIO", s.retry_budget_ratio, 0.0, 10.0,
         "concurrent retries allowed, as a share of in-flight requests");
  ranged(app, "--retry-budget-min", "RETRY_BUDGET_MIN", s.retry_budget_min, 0, 100000,
         "concurrent retries always allowed (never fewer than --max-conns-per-backend)");

  opt(app, "--log-level", "LOG_LEVEL", s.log_level, "debug, info, warn or error")->check(kLevel);
  opt(app, "--access-log", "ACCESS_LOG", s.access_log, "one JSON line per request on stderr");
  ranged(app, "--log-buffer-bytes", "LOG_BUFFER_BYTES", s.log_buffer_bytes, std::size_t{4096}, std::size_t{1} << 30,
         "log lines waiting for a slow or stopped reader; beyond it they are dropped and counted "
         "(balancer_log_lines_dropped_total), never waited for");
  opt(app, "--instance", "INSTANCE", s.instance, "instance name stamped on log lines");
}

std::string finish(Settings& s) {
  s.algorithm = *parse_algorithm(s.algorithm_name);
  s.listen_address = *net::parse_host_port(s.listen);
  s.admin_address = *net::parse_host_port(s.admin_listen);
  if (s.listen_address == s.admin_address) return "--listen and --admin-listen must differ";
  s.backend_specs.clear();
  for (const auto& text : s.backends) {
    auto spec = parse_backend_spec(text);
    if (!spec) return "bad --backend '" + text + "'";
    for (const auto& other : s.backend_specs)
      if (other.id == spec->id) return "duplicate backend id '" + spec->id + "'";
    s.backend_specs.push_back(*spec);
  }
  if (!s.discover_dns.empty()) s.dns_target = net::parse_host_port(s.discover_dns);
  s.activator_address.reset();
  if (!s.activator.empty()) s.activator_address = net::parse_host_port(s.activator);
  if (s.max_conns_per_backend < s.threads)
    return "--max-conns-per-backend (" + std::to_string(s.max_conns_per_backend) + ") must be at least --threads (" +
           std::to_string(s.threads) + "): the cap is split across threads";
  if (s.ejection_max_ms < s.ejection_time_ms) return "--ejection-max-ms must be at least --ejection-time-ms";
  return "";
}

}  // namespace scalelab::balancer
