// The shared cache: Redis strings "<version>|<kind>|<value>" (kind v = value,
// t = tombstone); put and invalidate compare versions inside Lua, atomically.
#include "store/cache.hpp"
#include "store/redis_layout.hpp"

namespace scalelab::store {
namespace {

using redis_layout::cache_key;

// ARGV: version, value, ttl. Implements may_replace() from cache.hpp.
const RedisScript kPut(R"lua(
local cur = redis.call('GET', KEYS[1])
if cur then
  local v, kind = string.match(cur, '^(%d+)|(%a)|')
  v = tonumber(v)
  local new = tonumber(ARGV[1])
  if v and ((kind == 't' and new < v) or (kind == 'v' and new <= v)) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|v|' .. ARGV[2], 'EX', ARGV[3])
return 1
)lua");

// ARGV: version, ttl. Never lowers a newer tombstone or value.
const RedisScript kInvalidate(R"lua(
local cur = redis.call('GET', KEYS[1])
local had_value = 0
if cur then
  local v, kind = string.match(cur, '^(%d+)|(%a)|')
  v = tonumber(v)
  if kind == 'v' then had_value = 1 end
  if v and v > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|t|', 'EX', ARGV[2])
return had_value
)lua");

std::string ttl_arg(std::chrono::seconds ttl) { return std::to_string(std::max<long long>(1, ttl.count())); }

class RedisCache final : public Cache {
 public:
  RedisCache(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics)
      : redis_(std::move(redis)),
        get_(metrics.op("redis", "cache_get")),
        put_(metrics.op("redis", "cache_put")),
        invalidate_(metrics.op("redis", "cache_invalidate")) {}

  const char* backend() const override { return "redis"; }

  std::optional<std::string> get(const std::string& k) override {
    OpTimer t(get_);
    auto reply = redis_->command({"GET", cache_key(k)});
    if (reply.is_nil()) return t.found(std::optional<std::string>());
    // A tombstone (or foreign data) is a miss.
    return t.found(redis_layout::cache_value(reply.view()));
  }

  bool put(const std::string& k, const std::string& value, std::int64_t version, std::chrono::seconds ttl) override {
    OpTimer t(put_);
    const bool stored = redis_->eval(kPut, {cache_key(k)}, {std::to_string(version), value, ttl_arg(ttl)}).integer() == 1;
    t.ok();
    return stored;
  }

  bool invalidate(const std::string& k, std::int64_t version, std::chrono::seconds ttl) override {
    OpTimer t(invalidate_);
    const bool dropped = redis_->eval(kInvalidate, {cache_key(k)}, {std::to_string(version), ttl_arg(ttl)}).integer() == 1;
    dropped ? t.ok() : t.miss();
    return dropped;
  }

 private:
  std::shared_ptr<RedisClient> redis_;
  OpMetrics get_, put_, invalidate_;
};

}  // namespace

std::unique_ptr<Cache> make_redis_cache(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics) {
  return std::make_unique<RedisCache>(std::move(redis), metrics);
}

}  // namespace scalelab::store
