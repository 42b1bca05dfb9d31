// Both backends of every concern, built once at start-up and alive until exit, so the
// toggle can switch between them at any moment. Handlers ask for a concern's store
// with the mode they read at the start of the request.
#pragma once

#include <atomic>
#include <mutex>
#include <memory>
#include <optional>
#include <string>

#include "services/app/app_config.hpp"
#include "services/app/state_toggle.hpp"
#include "store/admission.hpp"
#include "store/blob_store.hpp"
#include "store/cache.hpp"
#include "store/cart_store.hpp"
#include "store/catalog.hpp"
#include "store/database.hpp"
#include "store/orders.hpp"
#include "store/rate_limiter.hpp"
#include "store/redis_client.hpp"
#include "store/session_store.hpp"

namespace scalelab::app {

class AppStores {
 public:
  // Throws store::StoreError if the local data folder cannot be created.
  AppStores(const AppConfig& config, store::StoreMetrics& metrics, std::shared_ptr<prometheus::Registry> registry);

  store::SessionStore& sessions(store::Mode m) { return m == store::Mode::shared ? *redis_sessions_ : *local_sessions_; }
  store::CartStore& carts(store::Mode m) { return m == store::Mode::shared ? *redis_carts_ : *local_carts_; }
  store::Cache& cache(store::Mode m) { return m == store::Mode::shared ? *redis_cache_ : *local_cache_; }
  store::RateLimiter& limiter(store::Mode m) { return m == store::Mode::shared ? *redis_limiter_ : *local_limiter_; }
  store::BlobStore& blobs(store::Mode m) { return m == store::Mode::shared ? *s3_blobs_ : *local_blobs_; }
  store::Catalog& catalog() { return *catalog_; }
  // The database, when the instance has one (SCALELAB_DATABASE_URL), else nullptr.
  store::Database* database() { return database_.get(); }
  store::Orders& orders() { return orders_; }
  store::RedisClient& redis() { return *redis_; }

  // What every API request asks before its handler (store/admission.hpp), with each
  // concern's mode read once from `state`. Sessions and rate limits both shared: one
  // Redis round trip, the cache reads pipelined in when the cache is shared too (then
  // `cached` holds one entry per key). Otherwise each concern asks its own store and
  // `cached` is empty: the handler reads its cache itself.
  store::Admitted admit(const std::string& session_id, const store::RateRule& rule, const StateToggle& state,
                        const std::vector<std::string>& cache_keys);

  // Migrates the database (when there is one) and seeds the catalog, once its store
  // answers (at start-up, or at a later readiness probe if it was down then). Never
  // throws.
  bool ensure_catalog_seeded() noexcept;

  // Why the instance cannot serve now: nullopt when every store in use answers. Redis
  // is always in use (sessions; the catalog too without a database), the database when
  // there is one, S3 only while uploads are shared.
  std::optional<std::string> unready_reason(const StateToggle& state) noexcept;

 private:
  std::int64_t catalog_items_;
  std::shared_ptr<store::RedisClient> redis_;
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<store::SessionStore> redis_sessions_, local_sessions_;
  std::unique_ptr<store::CartStore> redis_carts_, local_carts_;
  std::unique_ptr<store::Cache> redis_cache_, local_cache_;
  std::unique_ptr<store::RateLimiter> redis_limiter_, local_limiter_;
  std::unique_ptr<store::BlobStore> s3_blobs_, local_blobs_;
  std::unique_ptr<store::Catalog> catalog_;
  std::unique_ptr<store::RedisAdmission> admission_;
  store::Orders orders_;
  std::atomic<bool> seeded_{false};
  // Set by the one caller seeding. Not a mutex: seeding waits on the database, and a
  // fiber must not park holding a mutex its loop's other fibers may try.
  std::atomic<bool> seeding_{false};
};

}  // namespace scalelab::app
