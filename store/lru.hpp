// A bounded map that forgets the least recently used entry first, and entries whose
// time is up. Not thread-safe: the owner locks. Used by the local cache; its bound is
// what keeps a local cache from becoming a memory leak under a wide key space.
#pragma once

#include <chrono>
#include <list>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace scalelab::store {

template <class Key, class Value, class Clock = std::chrono::steady_clock>
class LruMap {
 public:
  explicit LruMap(std::size_t capacity) : capacity_(capacity) {
    if (capacity_ == 0) throw std::invalid_argument("LRU capacity must be at least 1");
  }

  // The value if present and unexpired; marks it most recently used.
  std::optional<Value> get(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    if (it->second->expires <= Clock::now()) {
      entries_.erase(it->second);
      index_.erase(it);
      return std::nullopt;
    }
    entries_.splice(entries_.begin(), entries_, it->second);
    return it->second->value;
  }

  void put(const Key& key, Value value, typename Clock::duration ttl) {
    const auto expires = Clock::now() + ttl;
    if (auto it = index_.find(key); it != index_.end()) {
      it->second->value = std::move(value);
      it->second->expires = expires;
      entries_.splice(entries_.begin(), entries_, it->second);
      return;
    }
    if (entries_.size() >= capacity_) {
      index_.erase(entries_.back().key);
      entries_.pop_back();
    }
    entries_.push_front(Entry{key, std::move(value), expires});
    index_[key] = entries_.begin();
  }

  bool erase(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    entries_.erase(it->second);
    index_.erase(it);
    return true;
  }

  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    Key key;
    Value value;
    typename Clock::time_point expires;
  };
  std::size_t capacity_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<Key, typename std::list<Entry>::iterator> index_;
};

}  // namespace scalelab::store
