// The shared cache: plain Redis strings with an expiry.
#include "store/cache.hpp"

namespace scalelab::store {
namespace {

std::string key(const std::string& k) { return "sl:cache:" + k; }

class RedisCache final : public Cache {
 public:
  RedisCache(std::shared_ptr<RedisPool> redis, StoreMetrics& metrics)
      : redis_(std::move(redis)),
        get_(metrics.op("redis", "cache_get")),
        set_(metrics.op("redis", "cache_set")),
        invalidate_(metrics.op("redis", "cache_invalidate")) {}

  const char* backend() const override { return "redis"; }

  std::optional<std::string> get(const std::string& k) override {
    OpTimer t(get_);
    auto reply = redis_->command({"GET", key(k)});
    return t.found(reply.is_nil() ? std::optional<std::string>() : std::optional<std::string>(reply.str()));
  }

  void set(const std::string& k, const std::string& value, std::chrono::seconds ttl) override {
    OpTimer t(set_);
    redis_->command({"SET", key(k), value, "EX", std::to_string(std::max<long long>(1, ttl.count()))});
    t.ok();
  }

  bool invalidate(const std::string& k) override {
    OpTimer t(invalidate_);
    const bool existed = redis_->command({"DEL", key(k)}).integer() > 0;
    existed ? t.ok() : t.miss();
    return existed;
  }

 private:
  std::shared_ptr<RedisPool> redis_;
  OpMetrics get_, set_, invalidate_;
};

}  // namespace

std::unique_ptr<Cache> make_redis_cache(std::shared_ptr<RedisPool> redis, StoreMetrics& metrics) {
  return std::make_unique<RedisCache>(std::move(redis), metrics);
}

}  // namespace scalelab::store
