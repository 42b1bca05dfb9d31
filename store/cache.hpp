// The read-through cache in front of the slow catalog. Shared (Redis): one
// invalidation reaches every instance. Local (an LRU per process): an update through
// one instance leaves the others serving the old value until their entry expires, and
// that is the stale read the lab makes visible.
//
// Entries carry the version of the record they hold, because cache-aside has a race:
// a reader fetches version 1 from the slow database, a writer stores version 2 and
// invalidates, then the reader puts version 1 back, stale until it expires. Here an
// invalidation leaves a tombstone that remembers the version it was made for, and
// put() refuses anything older than what the entry holds or was invalidated at, so
// concurrent readers and writers can only move an entry forward.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "store/redis_client.hpp"
#include "store/store_metrics.hpp"

namespace scalelab::store {

class Cache {
 public:
  virtual ~Cache() = default;
  virtual const char* backend() const = 0;
  // The cached value, or nullopt when absent, expired or invalidated.
  virtual std::optional<std::string> get(const std::string& key) = 0;
  // Stores `value` as `version` unless the entry holds a newer value, or was
  // invalidated at a newer version. True if it stored.
  virtual bool put(const std::string& key, const std::string& value, std::int64_t version,
                   std::chrono::seconds ttl) = 0;
  // Drops the value and leaves a tombstone at `version` for `ttl`. True if a value was
  // dropped.
  virtual bool invalidate(const std::string& key, std::int64_t version, std::chrono::seconds ttl) = 0;
};

// Shared: Redis strings "<version>|<v or t>|<value>", put and invalidate in Lua.
std::unique_ptr<Cache> make_redis_cache(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics);
// Local: an LRU of at most `capacity` entries, each with its own expiry.
std::unique_ptr<Cache> make_local_cache(StoreMetrics& metrics, std::size_t capacity);

// The rule both backends apply: may an entry at (`held_version`, `held_is_tombstone`)
// be replaced by a value at `version`?
constexpr bool may_replace(std::int64_t held_version, bool held_is_tombstone, std::int64_t version) {
  return held_is_tombstone ? version >= held_version : version > held_version;
}

}  // namespace scalelab::store
