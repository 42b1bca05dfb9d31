// Both rate-limiter backends: the arithmetic is shared, only the counter differs.
#include "store/rate_limiter.hpp"

#include <mutex>
#include <unordered_map>

#include "store/clock.hpp"
#include "store/redis_layout.hpp"

namespace scalelab::store {

RateDecision decide(std::int64_t count, std::int64_t limit, std::int64_t window_seconds, std::int64_t now_seconds) {
  RateDecision d;
  d.limit = limit;
  d.window = now_seconds / window_seconds;
  d.allowed = count <= limit;
  d.remaining = std::max<std::int64_t>(0, limit - count);
  d.retry_after_s = d.allowed ? 0 : std::max<std::int64_t>(1, (d.window + 1) * window_seconds - now_seconds);
  return d;
}

namespace {

const RedisScript kIncrWindow(R"lua(
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
)lua");

class RedisRateLimiter final : public RateLimiter {
 public:
  RedisRateLimiter(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics)
      : redis_(std::move(redis)), allow_(metrics.op("redis", "ratelimit_allow")) {}

  const char* backend() const override { return "redis"; }

  RateDecision allow(const std::string& key, std::int64_t limit, std::chrono::seconds window) override {
    OpTimer t(allow_);
    const std::int64_t now = unix_seconds();
    const std::int64_t w = window.count();
    const std::string k = redis_layout::rate_window_key(key, now / w);
    // The key outlives its window by a second so a slow clock elsewhere still finds it.
    const std::int64_t count = redis_->eval(kIncrWindow, {k}, {std::to_string(w + 1)}).integer();
    t.ok();
    return decide(count, limit, w, now);
  }

 private:
  std::shared_ptr<RedisClient> redis_;
  OpMetrics allow_;
};

class LocalRateLimiter final : public RateLimiter {
 public:
  explicit LocalRateLimiter(StoreMetrics& metrics) : allow_(metrics.op("local", "ratelimit_allow")) {}

  const char* backend() const override { return "local"; }

  RateDecision allow(const std::string& key, std::int64_t limit, std::chrono::seconds window) override {
    OpTimer t(allow_);
    const std::int64_t now = unix_seconds();
    const std::int64_t w = window.count();
    const std::int64_t index = now / w;
    std::int64_t count;
    {
      std::lock_guard lock(mu_);
      if (++calls_ % 4096 == 0)  // forget counters of windows long gone
        std::erase_if(counters_, [&](const auto& kv) { return kv.second.window < index - 1; });
      Counter& c = counters_[key + ":" + std::to_string(w)];
      if (c.window != index) c = Counter{index, 0};
      count = ++c.count;
    }
    t.ok();
    return decide(count, limit, w, now);
  }

 private:
  struct Counter {
    std::int64_t window = -1;
    std::int64_t count = 0;
  };
  OpMetrics allow_;
  std::mutex mu_;
  std::unordered_map<std::string, Counter> counters_;
  std::uint64_t calls_ = 0;
};

}  // namespace

std::unique_ptr<RateLimiter> make_redis_rate_limiter(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics) {
  return std::make_unique<RedisRateLimiter>(std::move(redis), metrics);
}

std::unique_ptr<RateLimiter> make_local_rate_limiter(StoreMetrics& metrics) {
  return std::make_unique<LocalRateLimiter>(metrics);
}

}  // namespace scalelab::store
