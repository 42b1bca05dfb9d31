// The local cache: an LRU per process. Invalidation reaches only this process.
#include <mutex>

#include "store/cache.hpp"
#include "store/lru.hpp"

namespace scalelab::store {
namespace {

class LocalCache final : public Cache {
 public:
  LocalCache(StoreMetrics& metrics, std::size_t capacity)
      : entries_(capacity),
        get_(metrics.op("local", "cache_get")),
        set_(metrics.op("local", "cache_set")),
        invalidate_(metrics.op("local", "cache_invalidate")) {}

  const char* backend() const override { return "local"; }

  std::optional<std::string> get(const std::string& k) override {
    OpTimer t(get_);
    std::lock_guard lock(mu_);
    return t.found(entries_.get(k));
  }

  void set(const std::string& k, const std::string& value, std::chrono::seconds ttl) override {
    OpTimer t(set_);
    std::lock_guard lock(mu_);
    entries_.put(k, value, ttl);
    t.ok();
  }

  bool invalidate(const std::string& k) override {
    OpTimer t(invalidate_);
    std::lock_guard lock(mu_);
    const bool existed = entries_.erase(k);
    existed ? t.ok() : t.miss();
    return existed;
  }

 private:
  std::mutex mu_;
  LruMap<std::string, std::string> entries_;
  OpMetrics get_, set_, invalidate_;
};

}  // namespace

std::unique_ptr<Cache> make_local_cache(StoreMetrics& metrics, std::size_t capacity) {
  return std::make_unique<LocalCache>(metrics, capacity);
}

}  // namespace scalelab::store
