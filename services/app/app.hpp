// The composition root of scalelab-app: configuration, the state toggle, both store
// backends of every concern, the routes and the metrics. Route files add their
// handlers to `router`; AppServer serves them.
#pragma once

#include <atomic>
#include <memory>

#include <prometheus/registry.h>

#include "services/app/app_config.hpp"
#include "services/app/app_metrics.hpp"
#include "services/app/app_stores.hpp"
#include "services/app/router.hpp"
#include "services/app/state_toggle.hpp"
#include "store/store_metrics.hpp"

namespace scalelab::app {

struct App {
  explicit App(AppConfig config);

  AppConfig config;
  std::shared_ptr<prometheus::Registry> registry;
  store::StoreMetrics store_metrics;
  StateToggle state;
  AppStores stores;
  Router router;
  std::unique_ptr<AppMetrics> metrics;  // built once every route is known
  std::atomic<bool> draining{false};
  // When the instance began serving: the warm-up (cold_start.hpp) counts from here.
  std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();
};

// The route groups, one file each.
void add_session_routes(App& app);   // login, logout, me
void add_cart_routes(App& app);      // cart items
void add_catalog_routes(App& app);   // items, cache-aside
void add_upload_routes(App& app);    // uploads, streamed
void add_work_routes(App& app);      // simulated I/O and CPU
void add_order_routes(App& app);     // checkout and orders, in the database
void add_ops_routes(App& app);       // healthz, readyz, metrics, admin

// The cache key of catalog item `id` (routes_catalog.cpp).
std::string item_cache_key(std::int64_t id);

// The session of this request, or HttpError 401 (not_logged_in or session_not_found).
const store::Session& require_session(const Exchange& ex);

// Cache entry `key` from the cache of `mode`: the value the admission already read
// for this request when that is the cache it read (Route::cache_reads), else a read now.
std::optional<std::string> read_cache(App& app, const Exchange& ex, store::Mode mode, const std::string& key);

}  // namespace scalelab::app
