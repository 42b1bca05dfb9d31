// Everything scalelab-app can be told, twelve-factor style: each setting is an
// environment variable mirrored by a flag (`scalelab-app --help` lists both). A bad
// value stops start-up with one line and exit code 2.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/net.hpp"
#include "store/blob_store.hpp"
#include "store/database.hpp"
#include "store/redis_client.hpp"
#include "services/app/concurrency_model.hpp"
#include "store/state_mode.hpp"

namespace scalelab::app {

struct AppConfig {
  std::string instance_id;                 // SCALELAB_INSTANCE_ID, default: the host name
  net::HostPort listen{"127.0.0.1", 8081};  // SCALELAB_LISTEN
  // SCALELAB_ADMIN_LISTEN: the admin API's own address (/admin/*, plus /healthz,
  // /readyz, /metrics); never the service port, so a balancer cannot forward to it.
  // nullopt ("" or "0") turns the admin API off.
  std::optional<net::HostPort> admin_listen = net::HostPort{"127.0.0.1", 9081};
  // SCALELAB_APP_MODEL: how connections are served at once (concurrency_model.hpp):
  // `workers` threads in a pool, or a thread per connection up to `max_threads`.
  ConcurrencyModel model = ConcurrencyModel::pool;
  int workers = 32;                        // SCALELAB_WORKERS
  int max_threads = 4096;                  // SCALELAB_MAX_THREADS
  int loops = 0;                           // SCALELAB_LOOPS (event-loops' loops, fibers' threads; 0: one per core)
  store::RedisConfig redis;                // SCALELAB_REDIS_URL, _TIMEOUT_MS
  store::S3Config s3;                      // SCALELAB_S3_*, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
  std::string data_dir;                    // SCALELAB_DATA_DIR, default data/<instance>
  // SCALELAB_DATABASE_URL: PostgreSQL, the catalog's source of truth and the orders';
  // empty: no database (the catalog lives in Redis, checkout answers 503). The pool and
  // its timeouts: SCALELAB_DB_POOL, _CONNECT, _CONNECT_TIMEOUT_MS, _CHECKOUT_TIMEOUT_MS,
  // _STATEMENT_TIMEOUT_MS (store/database.hpp).
  store::DatabaseOptions database;
  // The catalog database's latency: a delay per query on PostgreSQL, a simulated one
  // per call on Redis's catalog.
  std::chrono::milliseconds db_latency{20};
  std::chrono::seconds session_ttl{1800};
  std::chrono::seconds cache_ttl{30};
  std::size_t cache_capacity = 10000;
  std::int64_t catalog_items = 100;
  std::uint64_t max_upload_bytes = 64ull << 20;
  std::int64_t rate_limit = 100;            // requests per window, per user
  std::chrono::seconds rate_window{1};
  std::string admin_token;                 // required on the admin address when set, from loopback too
  store::Mode state[4] = {store::Mode::shared, store::Mode::shared, store::Mode::shared, store::Mode::shared};
  std::chrono::milliseconds drain_grace{2000};       // readiness false -> stop accepting
  std::chrono::milliseconds shutdown_timeout{10000};  // stop accepting -> give up on in-flight
  std::chrono::milliseconds startup_delay{0};        // start -> listening: a heavy runtime's cold start
  std::chrono::milliseconds startup_cpu{0};          // CPU burnt before listening (cold_start.hpp)
  std::chrono::milliseconds warmup{0};               // after listening, API requests are slower for this long
  std::chrono::milliseconds warmup_extra{200};       // ...by this much at first, falling to 0 (cold_start.hpp)
  int keepalive_timeout_s = 10;
  std::size_t max_header_bytes = 16 * 1024;  // SCALELAB_MAX_HEADER_BYTES: request line + fields
  std::string log_level = "info";
  std::size_t log_buffer_bytes = 1 << 20;  // log lines waiting for the log's reader (common/log.hpp)
};

// Parses flags and environment. Exits 0 on --help, 2 on a bad value (one line).
AppConfig parse_app_config(int argc, char** argv);

// s3rver's built-in credentials: the defaults, as the default endpoint is s3rver's.
inline constexpr const char* kS3rverKey = "S3RVER";

}  // namespace scalelab::app
