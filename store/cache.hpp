// The read-through cache in front of the slow catalog. Shared (Redis), one invalidation
// reaches every instance; local (an LRU per process), an update through one instance
// leaves the others serving the old value until their entry expires: stale reads.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "store/redis_pool.hpp"
#include "store/store_metrics.hpp"

namespace scalelab::store {

class Cache {
 public:
  virtual ~Cache() = default;
  virtual const char* backend() const = 0;
  virtual std::optional<std::string> get(const std::string& key) = 0;
  virtual void set(const std::string& key, const std::string& value, std::chrono::seconds ttl) = 0;
  // Removes the entry. True if there was one.
  virtual bool invalidate(const std::string& key) = 0;
};

// Shared: GET / SET EX / DEL in Redis.
std::unique_ptr<Cache> make_redis_cache(std::shared_ptr<RedisPool> redis, StoreMetrics& metrics);
// Local: an LRU of at most `capacity` entries, each with its own expiry.
std::unique_ptr<Cache> make_local_cache(StoreMetrics& metrics, std::size_t capacity);

}  // namespace scalelab::store
