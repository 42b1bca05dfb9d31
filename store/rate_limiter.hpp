// Per-key rate limits in fixed windows. Shared (Redis), N instances enforce one limit
// together; local (counters per process), each instance enforces its own, and behind
// a round-robin balancer the effective limit is N times the configured one.
//
// Windows are aligned to Unix time: window = floor(now / window_seconds). Every
// instance computes the same index, so clients can count allowed requests per window.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "store/redis_client.hpp"
#include "store/store_metrics.hpp"

namespace scalelab::store {

struct RateDecision {
  bool allowed = true;
  std::int64_t limit = 0;
  std::int64_t remaining = 0;       // requests left in this window after this one
  std::int64_t retry_after_s = 0;   // when denied: seconds until the window ends (>= 1)
  std::int64_t window = 0;          // the window index
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  virtual const char* backend() const = 0;
  // Counts one request for `key` and decides. `limit` >= 1, `window` >= 1 s.
  virtual RateDecision allow(const std::string& key, std::int64_t limit, std::chrono::seconds window) = 0;
};

// Shared: one Lua script does INCR and the first EXPIRE atomically, one round trip.
std::unique_ptr<RateLimiter> make_redis_rate_limiter(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics);
// Local: counters in this process.
std::unique_ptr<RateLimiter> make_local_rate_limiter(StoreMetrics& metrics);

// The decision for the `count`-th request of a window (shared by both backends).
RateDecision decide(std::int64_t count, std::int64_t limit, std::int64_t window_seconds, std::int64_t now_seconds);

}  // namespace scalelab::store
