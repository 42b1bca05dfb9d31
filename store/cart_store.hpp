// Carts: per-session state that is written, not just read. Each add is acknowledged
// only once the store has it, so a write the user saw succeed is never silently lost
// (in shared mode); in local mode it lives on one instance and vanishes from the others.
// Carts follow the sessions toggle: they belong to the session.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/redis_client.hpp"
#include "store/store_metrics.hpp"

namespace scalelab::store {

struct CartLine {
  std::string sku;
  std::int64_t qty = 0;
  bool operator==(const CartLine&) const = default;
};

class CartStore {
 public:
  virtual ~CartStore() = default;
  virtual const char* backend() const = 0;
  // Adds `qty` of `sku` to the session's cart; returns the sku's new quantity.
  virtual std::int64_t add(const std::string& session_id, const std::string& sku, std::int64_t qty) = 0;
  // The cart's lines, sorted by sku. Empty if there is no cart.
  virtual std::vector<CartLine> items(const std::string& session_id) = 0;
  virtual void clear(const std::string& session_id) = 0;
};

// Shared: a Redis hash per cart, sku -> quantity; HINCRBY and the expiry refresh run in
// one MULTI/EXEC, pipelined, so concurrent adds never lose an increment.
std::unique_ptr<CartStore> make_redis_cart_store(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics,
                                                 std::chrono::seconds ttl);
// Local: a map in this process.
std::unique_ptr<CartStore> make_local_cart_store(StoreMetrics& metrics, std::chrono::seconds ttl);

}  // namespace scalelab::store
