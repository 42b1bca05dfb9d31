// The local cache: an LRU per process. Invalidation reaches only this process.
#include <mutex>

#include "store/cache.hpp"
#include "store/lru.hpp"

namespace scalelab::store {
namespace {

struct Entry {
  std::int64_t version = 0;
  bool tombstone = false;
  std::string value;
};

class LocalCache final : public Cache {
 public:
  LocalCache(StoreMetrics& metrics, std::size_t capacity)
      : entries_(capacity),
        get_(metrics.op("local", "cache_get")),
        put_(metrics.op("local", "cache_put")),
        invalidate_(metrics.op("local", "cache_invalidate")) {}

  const char* backend() const override { return "local"; }

  std::optional<std::string> get(const std::string& k) override {
    OpTimer t(get_);
    std::lock_guard lock(mu_);
    auto e = entries_.get(k);
    return t.found(e && !e->tombstone ? std::optional<std::string>(e->value) : std::nullopt);
  }

  bool put(const std::string& k, const std::string& value, std::int64_t version, std::chrono::seconds ttl) override {
    OpTimer t(put_);
    std::lock_guard lock(mu_);
    auto held = entries_.get(k);
    const bool store = !held || may_replace(held->version, held->tombstone, version);
    if (store) entries_.put(k, Entry{version, false, value}, ttl);
    t.ok();
    return store;
  }

  bool invalidate(const std::string& k, std::int64_t version, std::chrono::seconds ttl) override {
    OpTimer t(invalidate_);
    std::lock_guard lock(mu_);
    auto held = entries_.get(k);
    if (held && held->version > version) {  // an older invalidation changes nothing
      t.miss();
      return false;
    }
    const bool dropped = held && !held->tombstone;
    entries_.put(k, Entry{version, true, {}}, ttl);
    dropped ? t.ok() : t.miss();
    return dropped;
  }

 private:
  std::mutex mu_;
  LruMap<std::string, Entry> entries_;
  OpMetrics get_, put_, invalidate_;
};

}  // namespace

std::unique_ptr<Cache> make_local_cache(StoreMetrics& metrics, std::size_t capacity) {
  return std::make_unique<LocalCache>(metrics, capacity);
}

}  // namespace scalelab::store
