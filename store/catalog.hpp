// The catalog: the records behind the cache, standing in for a slow database. It lives
// in Redis in every mode (the database is always shared; only the cache in front of
// it is toggled). Each item carries a version that only grows, bumped atomically with
// every write, so a reader can tell a stale read from a fresh one.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

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
  // `latency` is added to every catalog call: the slow database a cache exists for.
  Catalog(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics, std::chrono::milliseconds latency);

  // Creates items 1..count that do not exist yet (version 1); existing ones are kept.
  void seed(std::int64_t count);
  std::optional<Item> get(std::int64_t id);
  // Sets the price and bumps the version in one atomic step. nullopt if no such item.
  std::optional<Item> set_price(std::int64_t id, double price);

 private:
  void simulate_latency() const;
  std::shared_ptr<RedisClient> redis_;
  std::chrono::milliseconds latency_;
  OpMetrics get_, set_price_, seed_;
};

}  // namespace scalelab::store
