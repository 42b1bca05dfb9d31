// Admission: what scalelab-app asks of its shared state before every API handler runs.
// The session behind the cookie (touched: expiry slid, request counted), the rate-limit
// decision for that session's user, and the cache entries the route is known to read.
//
// Why one object for three concerns: a stateless instance pays a network round trip
// for every piece of state it does not hold, and on a busy instance each one costs
// system calls and a context switch, a third of a whole in-memory request (see
// bench/RESULTS.md). Asked one by one, GET /api/items/{id} took three round trips;
// here it takes one: a Lua script that touches the session, reads its user and counts
// the request in that user's window, pipelined with the cache reads.
//
// Results match what SessionStore::touch, RateLimiter::allow (with key prefix + user)
// and Cache::get of the Redis backends would give, key for key (redis_layout.hpp).
// The script reaches a rate-limit key it derives from the session, so it needs a
// standalone Redis (or a cluster slot layout that keeps them together); so does the
// rest of scalelab.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/rate_limiter.hpp"
#include "store/redis_client.hpp"
#include "store/session_store.hpp"
#include "store/store_metrics.hpp"

namespace scalelab::store {

struct RateRule {
  std::string key_prefix;  // the rate-limit key is key_prefix + the session's user
  std::int64_t limit = 1;
  std::chrono::seconds window{1};
};

struct Admitted {
  std::optional<Session> session;                  // nullopt: no such session
  std::optional<RateDecision> rate;                // set when the session was found
  std::vector<std::optional<std::string>> cached;  // one per cache key, as Cache::get
};

class RedisAdmission {
 public:
  RedisAdmission(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics, std::chrono::seconds session_ttl);

  // One round trip. Counted as store_operations_total{backend="redis", op="admit"},
  // result ok when the session was found, miss when not. Throws as RedisClient does.
  Admitted admit(const std::string& session_id, const RateRule& rule, const std::vector<std::string>& cache_keys);

 private:
  std::shared_ptr<RedisClient> redis_;
  std::string session_ttl_;
  OpMetrics admit_;
};

}  // namespace scalelab::store
