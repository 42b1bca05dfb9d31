#include "services/app/app_config.hpp"

#include <unistd.h>

#include "common/config.hpp"
#include "common/log.hpp"

namespace scalelab::app {
namespace {

constexpr const char* kProgram = "scalelab-app";

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "app";
  return buf;
}

store::Mode mode_or_die(const std::string& value, const std::string& what) {
  auto mode = store::parse_mode(value);
  if (!mode) config::die(kProgram, what + " must be 'shared' or 'local' (got '" + value + "')");
  return *mode;
}

bool is_wildcard(const std::string& host) { return host == "0.0.0.0" || host == "::" || host == "[::]"; }

// "" or "0": off. Else host:port, on another port than the service, or on another host
// where neither is a wildcard.
std::optional<net::HostPort> parse_admin_listen(const std::string& text, const net::HostPort& service) {
  if (text.empty() || text == "0") return std::nullopt;
  auto hp = net::parse_host_port(text);
  if (!hp) config::die(kProgram, "--admin-listen must be host:port, or \"\" or 0 to turn it off (got '" + text + "')");
  const bool overlap = hp->host == service.host || is_wildcard(hp->host) || is_wildcard(service.host);
  if (hp->port == service.port && overlap)
    config::die(kProgram, "--admin-listen (" + hp->str() + ") must not be the service address --listen (" +
                              service.str() + "): the admin API would be reachable through the balancer");
  return hp;
}

// The database's flags, read as whole numbers and text first (CLI11 has no chrono).
struct DatabaseFlags {
  explicit DatabaseFlags(const store::DatabaseOptions& d)
      : pool(static_cast<int>(d.pool_size)),
        connect_timeout_ms(static_cast<int>(d.connect_timeout.count())),
        checkout_timeout_ms(static_cast<int>(d.checkout_timeout.count())),
        statement_timeout_ms(static_cast<int>(d.statement_timeout.count())) {}

  void add_to(CLI::App& cli, std::string& url) {
    config::option(cli, "--database-url", "SCALELAB_DATABASE_URL", url,
                   "PostgreSQL URL (postgresql://user@host:port/db): the catalog and orders; empty: no database");
    config::option(cli, "--db-pool", "SCALELAB_DB_POOL", pool, "Database connections this instance may hold")
        ->check(CLI::Range(1, 1000));
    config::option(cli, "--db-connect", "SCALELAB_DB_CONNECT", connect,
                   "pooled, or per-request: a connection opened and closed for every request, as a function instance does")
        ->check(CLI::IsMember({"pooled", "per-request"}));
    config::option(cli, "--db-connect-timeout-ms", "SCALELAB_DB_CONNECT_TIMEOUT_MS", connect_timeout_ms,
                   "Longest wait for a database connect (then 503 db_unavailable)")
        ->check(CLI::Range(1, 600000));
    config::option(cli, "--db-checkout-timeout-ms", "SCALELAB_DB_CHECKOUT_TIMEOUT_MS", checkout_timeout_ms,
                   "Longest wait for a free pooled connection (then 503 db_pool_exhausted)")
        ->check(CLI::Range(1, 600000));
    config::option(cli, "--db-statement-timeout-ms", "SCALELAB_DB_STATEMENT_TIMEOUT_MS", statement_timeout_ms,
                   "Longest a statement may run on the server (then 503 db_timeout)")
        ->check(CLI::Range(1, 3600000));
  }

  void apply(store::DatabaseOptions& d) const {
    d.pool_size = static_cast<std::size_t>(pool);
    d.connect = store::parse_db_connect(connect);
    d.connect_timeout = std::chrono::milliseconds(connect_timeout_ms);
    d.checkout_timeout = std::chrono::milliseconds(checkout_timeout_ms);
    d.statement_timeout = std::chrono::milliseconds(statement_timeout_ms);
  }

  int pool, connect_timeout_ms, checkout_timeout_ms, statement_timeout_ms;
  std::string connect = "pooled";
};

}  // namespace

AppConfig parse_app_config(int argc, char** argv) {
  AppConfig c;
  c.s3.access_key = c.s3.secret_key = kS3rverKey;
  CLI::App cli{"scalelab-app: the service that runs as N instances behind scalelab-balancer.\n"
               "Its state lives in Redis and S3 (shared) or in this process (local)."};
  cli.get_formatter()->column_width(42);

  std::string listen = c.listen.str();
  std::string admin_listen = c.admin_listen->str();
  std::string redis_url = "redis://127.0.0.1:6379";
  std::string redis_connections = "shared";
  int redis_timeout_ms = 1000;
  int db_latency_ms = static_cast<int>(c.db_latency.count());
  long long session_ttl = c.session_ttl.count(), cache_ttl = c.cache_ttl.count(), rate_window = c.rate_window.count();
  long long drain_grace_ms = c.drain_grace.count(), shutdown_timeout_ms = c.shutdown_timeout.count();
  long long startup_delay_ms = c.startup_delay.count();
  long long startup_cpu_ms = c.startup_cpu.count();
  long long warmup_ms = c.warmup.count(), warmup_extra_ms = c.warmup_extra.count();
  long long s3_timeout_ms = c.s3.io_timeout.count();
  std::string state = "shared", state_sessions, state_cache, state_uploads, state_ratelimit;

  config::option(cli, "--instance-id", "SCALELAB_INSTANCE_ID", c.instance_id, "Instance id in X-Instance (default: host name)");
  config::option(cli, "--listen", "SCALELAB_LISTEN", listen, "Address to listen on (host:port)");
  config::option(cli, "--admin-listen", "SCALELAB_ADMIN_LISTEN", admin_listen,
                 "Address of the admin API (/admin/*, /healthz, /readyz, /metrics), never the service port; "
                 "\"\" or 0 turns it off");
  std::string model = std::string(to_string(c.model));
  config::option(cli, "--model", "SCALELAB_APP_MODEL", model,
                 "Concurrency model: pool (SCALELAB_WORKERS threads, each serving one connection at a time), "
                 "thread-per-connection (a thread for every connection, up to SCALELAB_MAX_THREADS), "
                 "event-loop (one thread; every connection a fiber that parks while it waits), "
                 "event-loops (one such loop per core, SCALELAB_LOOPS) or "
                 "fibers (M:N: one loop run by a thread per core, SCALELAB_LOOPS; a fiber that waited runs on any free thread)")
      ->check(CLI::IsMember(std::vector<std::string>(std::begin(kConcurrencyModelNames), std::end(kConcurrencyModelNames))));
  config::option(cli, "--workers", "SCALELAB_WORKERS", c.workers, "Worker threads of the pool model (each serves one connection at a time)")
      ->check(CLI::Range(1, 1024));
  config::option(cli, "--max-threads", "SCALELAB_MAX_THREADS", c.max_threads,
                 "thread-per-connection: the most connection threads at once; event-loop(s), fibers: the most "
                 "connections (fibers) at once. Then accepting waits")
      ->check(CLI::Range(1, 32768));
  config::option(cli, "--loops", "SCALELAB_LOOPS", c.loops, "event-loops: how many loops (threads); fibers: how many threads run the loop; 0 is one per core")
      ->check(CLI::Range(0, 256));
  config::option(cli, "--redis-url", "SCALELAB_REDIS_URL", redis_url, "Redis URL: redis://[:password@]host[:port][/db] or unix://[:password@]/path/redis.sock[?db=N]");
  config::option(cli, "--redis-timeout-ms", "SCALELAB_REDIS_TIMEOUT_MS", redis_timeout_ms, "Redis connect and command timeout")
      ->check(CLI::Range(1, 600000));
  config::option(cli, "--redis-connections", "SCALELAB_REDIS_CONNECTIONS", redis_connections,
                 "shared: one long-lived connection, multiplexed; per_request: a connection per store call, closed "
                 "after it, as a serverless function without connection reuse does (connection churn)")
      ->check(CLI::IsMember({"shared", "per_request"}));
  config::option(cli, "--s3-endpoint", "SCALELAB_S3_ENDPOINT", c.s3.endpoint, "S3 endpoint, http://host[:port] (path-style, plain HTTP)");
  config::option(cli, "--s3-bucket", "SCALELAB_S3_BUCKET", c.s3.bucket, "S3 bucket for uploads");
  config::option(cli, "--s3-region", "SCALELAB_S3_REGION", c.s3.region, "S3 region (for Signature V4)");
  config::option(cli, "--s3-access-key", "AWS_ACCESS_KEY_ID", c.s3.access_key, "S3 access key (default: s3rver's)");
  config::option(cli, "--s3-secret-key", "AWS_SECRET_ACCESS_KEY", c.s3.secret_key, "S3 secret key (default: s3rver's)");
  config::option(cli, "--s3-timeout-ms", "SCALELAB_S3_TIMEOUT_MS", s3_timeout_ms, "S3 read/write timeout")
      ->check(CLI::Range(1, 600000));
  config::option(cli, "--data-dir", "SCALELAB_DATA_DIR", c.data_dir, "This instance's own folder for local-mode uploads (default: data/<instance-id>)");
  DatabaseFlags database(c.database);
  database.add_to(cli, c.database.url);
  config::option(cli, "--db-latency-ms", "SCALELAB_DB_LATENCY_MS", db_latency_ms,
                 "The catalog database's latency: a delay per PostgreSQL query, or per call of Redis's catalog")
      ->check(CLI::Range(0, 60000));
  config::option(cli, "--session-ttl", "SCALELAB_SESSION_TTL_SECONDS", session_ttl, "Session lifetime, sliding")->check(CLI::Range(1, 86400 * 30));
  config::option(cli, "--cache-ttl", "SCALELAB_CACHE_TTL_SECONDS", cache_ttl, "Catalog cache entry lifetime")->check(CLI::Range(1, 86400));
  config::option(cli, "--cache-capacity", "SCALELAB_CACHE_CAPACITY", c.cache_capacity, "Local cache entries at most")
      ->check(CLI::Range(1, 100000000));
  config::option(cli, "--catalog-items", "SCALELAB_CATALOG_ITEMS", c.catalog_items, "Catalog items seeded at start-up")
      ->check(CLI::Range(1, 1000000));
  config::option(cli, "--max-upload-bytes", "SCALELAB_MAX_UPLOAD_BYTES", c.max_upload_bytes, "Largest upload accepted (413 beyond)")
      ->check(CLI::Range(1ull, 1ull << 40));
  config::option(cli, "--rate-limit", "SCALELAB_RATE_LIMIT", c.rate_limit, "Requests per window per logged-in user")
      ->check(CLI::Range(1ll, 1ll << 40));
  config::option(cli, "--rate-window", "SCALELAB_RATE_WINDOW_SECONDS", rate_window, "Rate-limit window length")->check(CLI::Range(1, 86400));
  config::option(cli, "--admin-token", "SCALELAB_ADMIN_TOKEN", c.admin_token,
                 "Bearer token the admin API requires, from loopback too (without one: loopback clients only)");
  config::option(cli, "--state", "SCALELAB_STATE", state, "Where state lives for every concern: shared or local");
  config::option(cli, "--state-sessions", "SCALELAB_STATE_SESSIONS", state_sessions, "Override for sessions and carts");
  config::option(cli, "--state-cache", "SCALELAB_STATE_CACHE", state_cache, "Override for the catalog cache");
  config::option(cli, "--state-uploads", "SCALELAB_STATE_UPLOADS", state_uploads, "Override for uploads");
  config::option(cli, "--state-ratelimit", "SCALELAB_STATE_RATELIMIT", state_ratelimit, "Override for rate limits");
  config::option(cli, "--drain-grace-ms", "SCALELAB_DRAIN_GRACE_MS", drain_grace_ms, "On SIGTERM: time between readiness false and closing the listener")
      ->check(CLI::Range(0, 600000));
  config::option(cli, "--shutdown-timeout-ms", "SCALELAB_SHUTDOWN_TIMEOUT_MS", shutdown_timeout_ms, "On SIGTERM: time allowed for in-flight requests")
      ->check(CLI::Range(0, 600000));
  config::option(cli, "--startup-delay-ms", "SCALELAB_STARTUP_DELAY_MS", startup_delay_ms,
                 "Wait this long before listening, as a heavy runtime does when it starts (a JVM, a model load): "
                 "the cold start an autoscaler lives with")
      ->check(CLI::Range(0, 600000));
  config::option(cli, "--startup-cpu-ms", "SCALELAB_STARTUP_CPU_MS", startup_cpu_ms,
                 "Then burn this much CPU time before listening (a JVM warming up, a model being loaded): "
                 "instances starting together on a few cores slow each other down")
      ->check(CLI::Range(0, 600000));
  config::option(cli, "--warmup-ms", "SCALELAB_WARMUP_MS", warmup_ms,
                 "After listening, answer API requests slower for this long (a runtime warming up: JIT, cold caches)")
      ->check(CLI::Range(0, 600000));
  config::option(cli, "--warmup-extra-ms", "SCALELAB_WARMUP_EXTRA_MS", warmup_extra_ms,
                 "How much slower at first; it falls linearly to nothing by the end of the warm-up")
      ->check(CLI::Range(0, 60000));
  config::option(cli, "--keepalive-timeout", "SCALELAB_KEEPALIVE_TIMEOUT_SECONDS", c.keepalive_timeout_s, "Idle keep-alive connection lifetime")
      ->check(CLI::Range(1, 3600));
  config::option(cli, "--max-header-bytes", "SCALELAB_MAX_HEADER_BYTES", c.max_header_bytes,
                 "Largest request head, request line to blank line (414 or 431 beyond)")
      ->check(CLI::Range(std::size_t{256}, std::size_t{1} << 20));
  config::option(cli, "--log-level", "SCALELAB_LOG_LEVEL", c.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  config::option(cli, "--log-buffer-bytes", "SCALELAB_LOG_BUFFER_BYTES", c.log_buffer_bytes,
                 "Log lines waiting for a reader that is slow or stopped; beyond it they are dropped and counted "
                 "(app_log_lines_dropped_total), never waited for")
      ->check(CLI::Range(std::size_t{4096}, std::size_t{1} << 30));
  config::parse_or_exit(cli, argc, argv);

  if (c.instance_id.empty()) c.instance_id = host_name();
  auto hp = net::parse_host_port(listen);
  if (!hp) config::die(kProgram, "--listen must be host:port (got '" + listen + "')");
  c.listen = *hp;
  c.admin_listen = parse_admin_listen(admin_listen, c.listen);
  try {
    c.redis = store::parse_redis_url(redis_url);
  } catch (const std::invalid_argument& e) {
    config::die(kProgram, std::string("--redis-url: ") + e.what());
  }
  c.redis.connect_timeout = c.redis.command_timeout = std::chrono::milliseconds(redis_timeout_ms);
  c.redis.connection_per_call = redis_connections == "per_request";
  c.model = parse_concurrency_model(model);
  c.s3.io_timeout = std::chrono::milliseconds(s3_timeout_ms);
  c.s3.connect_timeout = std::min(c.s3.io_timeout, std::chrono::milliseconds(1000));
  // The S3 client speaks plain HTTP (store/s3_connection.hpp): the lab's S3 is local.
  if (c.s3.endpoint.rfind("http://", 0) != 0)
    config::die(kProgram, "--s3-endpoint must start with http:// (got '" + c.s3.endpoint + "')");
  if (c.s3.bucket.empty()) config::die(kProgram, "--s3-bucket must not be empty");
  if (c.data_dir.empty()) c.data_dir = "data/" + c.instance_id;
  c.db_latency = std::chrono::milliseconds(db_latency_ms);
  database.apply(c.database);
  c.database.query_delay = c.db_latency;
  if (!c.database.url.empty() && c.database.url.rfind("postgresql://", 0) != 0 &&
      c.database.url.rfind("postgres://", 0) != 0)
    config::die(kProgram, "--database-url must start with postgresql:// (got '" + c.database.url + "')");
  c.session_ttl = std::chrono::seconds(session_ttl);
  c.cache_ttl = std::chrono::seconds(cache_ttl);
  c.rate_window = std::chrono::seconds(rate_window);
  c.drain_grace = std::chrono::milliseconds(drain_grace_ms);
  c.shutdown_timeout = std::chrono::milliseconds(shutdown_timeout_ms);
  c.startup_delay = std::chrono::milliseconds(startup_delay_ms);
  c.startup_cpu = std::chrono::milliseconds(startup_cpu_ms);
  c.warmup = std::chrono::milliseconds(warmup_ms);
  c.warmup_extra = std::chrono::milliseconds(warmup_extra_ms);

  const store::Mode all = mode_or_die(state, "--state / SCALELAB_STATE");
  const std::string overrides[4] = {state_sessions, state_cache, state_uploads, state_ratelimit};
  for (std::size_t i = 0; i < store::kConcerns.size(); ++i) {
    const std::string name = std::string(store::to_string(store::kConcerns[i]));
    c.state[i] = overrides[i].empty() ? all : mode_or_die(overrides[i], "--state-" + name);
  }
  return c;
}

}  // namespace scalelab::app
