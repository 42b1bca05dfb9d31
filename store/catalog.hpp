// The catalog: the records behind the cache. Its source of truth is PostgreSQL when the
// instance has a database, else Redis, standing in for one; shared in every mode either
// way (only the cache in front of it is toggled). Each item carries a version that only
// grows, bumped atomically with every write, so a reader can tell a stale read from a
// fresh one.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "store/database.hpp"
#include "store/redis_client.hpp"
#include "store/store_metrics.hpp"

namespace scalelab::store {

struct Item {
  std::int64_t id = 0;
  std::string name;
  double price = 0;
  std::int64_t stock = 0;
  std::int64_t version = 0;
  bool operator==(const Item&) const = default;
};

nlohmann::json to_json(const Item& item);
// Throws nlohmann::json::exception on a malformed object.
Item item_from_json(const nlohmann::json& j);

class Catalog {
 public:
  virtual ~Catalog() = default;
  virtual const char* backend() const = 0;
  // Creates items 1..count that do not exist yet (version 1); existing ones are kept.
  virtual void seed(std::int64_t count) = 0;
  virtual std::optional<Item> get(std::int64_t id) = 0;
  // Sets the price and bumps the version in one atomic step. nullopt if no such item.
  virtual std::optional<Item> set_price(std::int64_t id, double price) = 0;
};

// In Redis, without a database: a hash per item, writes in Lua; `latency` is added to
// every call, standing in for the slow database a cache exists for.
std::unique_ptr<Catalog> make_redis_catalog(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics,
                                            std::chrono::milliseconds latency);
// In PostgreSQL (store/migrations/001_catalog.sql): the database's own per-query delay
// (DatabaseOptions::query_delay) is the latency.
std::unique_ptr<Catalog> make_postgres_catalog(Database& db, StoreMetrics& metrics);

}  // namespace scalelab::store
