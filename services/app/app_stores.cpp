#include "services/app/app_stores.hpp"

#include "common/log.hpp"
#include "store/errors.hpp"
#include "store/migrations.hpp"

namespace scalelab::app {

AppStores::AppStores(const AppConfig& config, store::StoreMetrics& metrics,
                     std::shared_ptr<prometheus::Registry> registry)
    : catalog_items_(config.catalog_items),
      redis_(std::make_shared<store::RedisClient>(config.redis)),
      database_(config.database.url.empty() ? nullptr
                                            : std::make_unique<store::Database>(config.database, std::move(registry))),
      redis_sessions_(store::make_redis_session_store(redis_, metrics, config.session_ttl)),
      local_sessions_(store::make_local_session_store(metrics, config.session_ttl)),
      redis_carts_(store::make_redis_cart_store(redis_, metrics, config.session_ttl)),
      local_carts_(store::make_local_cart_store(metrics, config.session_ttl)),
      redis_cache_(store::make_redis_cache(redis_, metrics)),
      local_cache_(store::make_local_cache(metrics, config.cache_capacity)),
      redis_limiter_(store::make_redis_rate_limiter(redis_, metrics)),
      local_limiter_(store::make_local_rate_limiter(metrics)),
      s3_blobs_(store::make_s3_blob_store(config.s3, metrics)),
      local_blobs_(store::make_local_blob_store(config.data_dir + "/uploads", metrics)),
      catalog_(database_ ? store::make_postgres_catalog(*database_, metrics)
                         : store::make_redis_catalog(redis_, metrics, config.db_latency)),
      admission_(std::make_unique<store::RedisAdmission>(redis_, metrics, config.session_ttl)),
      orders_(metrics) {}

store::Admitted AppStores::admit(const std::string& session_id, const store::RateRule& rule,
                                 const StateToggle& state, const std::vector<std::string>& cache_keys) {
  const store::Mode sessions_mode = state.mode(store::Concern::sessions);
  const store::Mode rate_mode = state.mode(store::Concern::ratelimit);
  if (sessions_mode == store::Mode::shared && rate_mode == store::Mode::shared) {
    const bool prefetch = state.mode(store::Concern::cache) == store::Mode::shared;
    return admission_->admit(session_id, rule, prefetch ? cache_keys : std::vector<std::string>{});
  }
  store::Admitted out;
  out.session = sessions(sessions_mode).touch(session_id);
  if (out.session) out.rate = limiter(rate_mode).allow(rule.key_prefix + out.session->user, rule.limit, rule.window);
  return out;
}

bool AppStores::ensure_catalog_seeded() noexcept {
  if (seeded_.load()) return true;
  // One seeder at a time: readiness probes arrive on several threads at start, and each
  // would migrate and seed again (idempotent, but work and log lines for nothing). The
  // others answer "not seeded yet" until it is done.
  if (seeding_.exchange(true)) return seeded_.load();
  struct Done {
    std::atomic<bool>& seeding;
    ~Done() { seeding.store(false); }
  } done{seeding_};
  if (seeded_.load()) return true;
  try {
    if (database_) {
      auto session = database_->session();
      if (auto applied = store::migrate(session); !applied.empty())
        log::info("database migrated", {{"versions", applied}});
    }
    catalog_->seed(catalog_items_);
    seeded_.store(true);
    log::info("catalog seeded", {{"items", catalog_items_}, {"store", catalog_->backend()}});
  } catch (const std::exception& e) {
    log::warn("catalog not seeded yet", {{"cause", e.what()}});
  }
  return seeded_.load();
}

std::optional<std::string> AppStores::unready_reason(const StateToggle& state) noexcept {
  if (!redis_->ping()) return "redis: no answer from " + redis_->address();
  // The database decides readiness only until this instance has migrated and seeded
  // it. After that an outage is answered per route (503 db_unavailable): the database
  // is shared, so failing readiness on it would take every instance out at once and
  // turn a checkout outage into a total one (Kubernetes' advice for readiness probes).
  if (database_ && !seeded_.load())
    if (auto why = database_->unready_reason()) return *why;
  if (!ensure_catalog_seeded()) return std::string(catalog_->backend()) + ": catalog not seeded";
  if (state.mode(store::Concern::uploads) == store::Mode::shared) {
    try {
      s3_blobs_->check();
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
  }
  return std::nullopt;
}

}  // namespace scalelab::app
