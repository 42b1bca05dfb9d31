// Carts in process memory, expiring with the same TTL as the Redis ones.
#include <map>
#include <mutex>
#include <unordered_map>

#include "store/cart_store.hpp"
#include "store/clock.hpp"

namespace scalelab::store {
namespace {

class LocalCartStore final : public CartStore {
 public:
  LocalCartStore(StoreMetrics& metrics, std::chrono::seconds ttl)
      : ttl_(ttl),
        add_(metrics.op("local", "cart_add")),
        items_(metrics.op("local", "cart_items")),
        clear_(metrics.op("local", "cart_clear")) {}

  const char* backend() const override { return "local"; }

  std::int64_t add(const std::string& session_id, const std::string& sku, std::int64_t qty) override {
    OpTimer t(add_);
    std::lock_guard lock(mu_);
    if (++writes_ % 1024 == 0) sweep();
    Cart& cart = carts_[session_id];
    if (cart.expires <= steady_now()) cart.lines.clear();
    cart.expires = steady_now() + ttl_;
    const std::int64_t total = cart.lines[sku] += qty;
    t.ok();
    return total;
  }

  std::vector<CartLine> items(const std::string& session_id) override {
    OpTimer t(items_);
    std::lock_guard lock(mu_);
    std::vector<CartLine> lines;
    auto it = carts_.find(session_id);
    if (it != carts_.end() && it->second.expires > steady_now())
      for (const auto& [sku, qty] : it->second.lines) lines.push_back({sku, qty});
    lines.empty() ? t.miss() : t.ok();
    return lines;
  }

  void clear(const std::string& session_id) override {
    OpTimer t(clear_);
    std::lock_guard lock(mu_);
    carts_.erase(session_id);
    t.ok();
  }

 private:
  struct Cart {
    std::map<std::string, std::int64_t> lines;  // sorted by sku
    SteadyTime expires{};
  };

  void sweep() {
    const auto now = steady_now();
    std::erase_if(carts_, [&](const auto& kv) { return kv.second.expires <= now; });
  }

  std::chrono::seconds ttl_;
  OpMetrics add_, items_, clear_;
  std::mutex mu_;
  std::unordered_map<std::string, Cart> carts_;
  std::uint64_t writes_ = 0;
};

}  // namespace

std::unique_ptr<CartStore> make_local_cart_store(StoreMetrics& metrics, std::chrono::seconds ttl) {
  return std::make_unique<LocalCartStore>(metrics, ttl);
}

}  // namespace scalelab::store
