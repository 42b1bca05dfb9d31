// The catalog in Redis, for an instance without a database: one hash per item; writes
// and version bumps run in Lua so they are atomic.
#include "store/catalog.hpp"

#include <charconv>
#include <thread>

#include "common/waits.hpp"
#include "store/errors.hpp"

namespace scalelab::store {
namespace {

const RedisScript kSeed(R"lua(
local created = 0
for id = 1, tonumber(ARGV[1]) do
  local k = 'sl:item:' .. id
  if redis.call('EXISTS', k) == 0 then
    redis.call('HSET', k, 'name', 'Item ' .. id, 'price', string.format('%.2f', 5 + (id * 37) % 200),
               'stock', (id * 13) % 100 + 1, 'version', 1)
    created = created + 1
  end
end
return created
)lua");

const RedisScript kSetPrice(R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], 'price', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'version', 1)
return redis.call('HGETALL', KEYS[1])
)lua");

std::string key(std::int64_t id) { return "sl:item:" + std::to_string(id); }

Item decode(std::int64_t id, const RedisReply& fields) {
  Item item;
  item.id = id;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string name = fields[i].str();
    const RedisReply& value = fields[i + 1];
    if (name == "name") {
      item.name = value.str();
    } else if (name == "price") {
      const std::string text = value.str();
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), item.price);
      if (ec != std::errc()) throw StoreError("redis", "item " + std::to_string(id) + " has a bad price");
    } else if (name == "stock") {
      item.stock = value.integer();
    } else if (name == "version") {
      item.version = value.integer();
    }
  }
  return item;
}

std::string format_price(double price) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, price);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(price);
}

class RedisCatalog : public Catalog {
 public:
  RedisCatalog(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics, std::chrono::milliseconds latency)
      : redis_(std::move(redis)),
        latency_(latency),
        get_(metrics.op("redis", "catalog_get")),
        set_price_(metrics.op("redis", "catalog_set_price")),
        seed_(metrics.op("redis", "catalog_seed")) {}

  const char* backend() const override { return "redis"; }

  void seed(std::int64_t count) override {
    OpTimer t(seed_);
    redis_->eval(kSeed, {}, {std::to_string(count)});
    t.ok();
  }

  std::optional<Item> get(std::int64_t id) override {
    OpTimer t(get_);
    simulate_latency();
    auto reply = redis_->command({"HGETALL", key(id)});
    if (reply.size() == 0) return t.found(std::optional<Item>());
    return t.found(std::optional<Item>(decode(id, reply)));
  }

  std::optional<Item> set_price(std::int64_t id, double price) override {
    OpTimer t(set_price_);
    simulate_latency();
    auto reply = redis_->eval(kSetPrice, {key(id)}, {format_price(price)});
    if (reply.is_nil() || reply.size() == 0) return t.found(std::optional<Item>());
    return t.found(std::optional<Item>(decode(id, reply)));
  }

 private:
  void simulate_latency() const {
    if (latency_.count() > 0) waits::sleep_for(latency_);
  }
  std::shared_ptr<RedisClient> redis_;
  std::chrono::milliseconds latency_;
  OpMetrics get_, set_price_, seed_;
};

}  // namespace

std::unique_ptr<Catalog> make_redis_catalog(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics,
                                            std::chrono::milliseconds latency) {
  return std::make_unique<RedisCatalog>(std::move(redis), metrics, latency);
}

}  // namespace scalelab::store
