// Carts in Redis: HINCRBY inside MULTI/EXEC with the expiry refresh, one round trip.
#include <algorithm>

#include "store/cart_store.hpp"
#include "store/errors.hpp"

namespace scalelab::store {
namespace {

std::string cart_key(const std::string& session_id) { return "sl:cart:" + session_id; }

class RedisCartStore final : public CartStore {
 public:
  RedisCartStore(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics, std::chrono::seconds ttl)
      : redis_(std::move(redis)),
        ttl_(std::to_string(ttl.count())),
        add_(metrics.op("redis", "cart_add")),
        items_(metrics.op("redis", "cart_items")),
        clear_(metrics.op("redis", "cart_clear")) {}

  const char* backend() const override { return "redis"; }

  std::int64_t add(const std::string& session_id, const std::string& sku, std::int64_t qty) override {
    OpTimer t(add_);
    const std::string k = cart_key(session_id);
    auto replies = redis_->pipeline(
        {{"MULTI"}, {"HINCRBY", k, sku, std::to_string(qty)}, {"EXPIRE", k, ttl_}, {"EXEC"}});
    const RedisReply& exec = replies.back();
    if (!exec.is_array() || exec.size() != 2) throw StoreError("redis", "cart add: transaction was aborted");
    const std::int64_t total = exec[0].integer();
    t.ok();
    return total;
  }

  std::vector<CartLine> items(const std::string& session_id) override {
    OpTimer t(items_);
    auto reply = redis_->command({"HGETALL", cart_key(session_id)});
    std::vector<CartLine> lines;
    for (std::size_t i = 0; i + 1 < reply.size(); i += 2) lines.push_back({reply[i].str(), reply[i + 1].integer()});
    std::sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.sku < b.sku; });
    lines.empty() ? t.miss() : t.ok();
    return lines;
  }

  void clear(const std::string& session_id) override {
    OpTimer t(clear_);
    redis_->command({"DEL", cart_key(session_id)});
    t.ok();
  }

 private:
  std::shared_ptr<RedisClient> redis_;
  std::string ttl_;
  OpMetrics add_, items_, clear_;
};

}  // namespace

std::unique_ptr<CartStore> make_redis_cart_store(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics,
                                                 std::chrono::seconds ttl) {
  return std::make_unique<RedisCartStore>(std::move(redis), metrics, ttl);
}

}  // namespace scalelab::store
