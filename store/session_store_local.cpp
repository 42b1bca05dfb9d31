// Sessions in process memory: correct for one instance, lost for every other one.
#include <mutex>
#include <unordered_map>

#include "common/ids.hpp"
#include "store/clock.hpp"
#include "store/session_store.hpp"

namespace scalelab::store {
namespace {

class LocalSessionStore final : public SessionStore {
 public:
  LocalSessionStore(StoreMetrics& metrics, std::chrono::seconds ttl)
      : ttl_(ttl),
        create_(metrics.op("local", "session_create")),
        get_(metrics.op("local", "session_get")),
        touch_(metrics.op("local", "session_touch")),
        destroy_(metrics.op("local", "session_destroy")) {}

  const char* backend() const override { return "local"; }

  Session create(const std::string& user, const std::string& instance) override {
    OpTimer t(create_);
    Session s{ids::random_token(16), user, instance, unix_ms(), 0};
    std::lock_guard lock(mu_);
    sweep_now_and_then();
    sessions_[s.id] = Entry{s, steady_now() + ttl_};
    t.ok();
    return s;
  }

  std::optional<Session> get(const std::string& id) override {
    OpTimer t(get_);
    std::lock_guard lock(mu_);
    Entry* e = live(id);
    return t.found(e ? std::optional<Session>(e->session) : std::nullopt);
  }

  std::optional<Session> touch(const std::string& id) override {
    OpTimer t(touch_);
    std::lock_guard lock(mu_);
    Entry* e = live(id);
    if (e == nullptr) return t.found(std::optional<Session>());
    e->expires = steady_now() + ttl_;
    ++e->session.requests;
    return t.found(std::optional<Session>(e->session));
  }

  bool destroy(const std::string& id) override {
    OpTimer t(destroy_);
    std::lock_guard lock(mu_);
    const bool existed = live(id) != nullptr && sessions_.erase(id) > 0;
    existed ? t.ok() : t.miss();
    return existed;
  }

 private:
  struct Entry {
    Session session;
    SteadyTime expires;
  };

  Entry* live(const std::string& id) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return nullptr;
    if (it->second.expires <= steady_now()) {
      sessions_.erase(it);
      return nullptr;
    }
    return &it->second;
  }

  // Expired sessions nobody asks for again would stay forever; sweep them every so
  // many creations, so memory follows the live sessions.
  void sweep_now_and_then() {
    if (++creations_ % 1024 != 0) return;
    const auto now = steady_now();
    std::erase_if(sessions_, [&](const auto& kv) { return kv.second.expires <= now; });
  }

  std::chrono::seconds ttl_;
  OpMetrics create_, get_, touch_, destroy_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> sessions_;
  std::uint64_t creations_ = 0;
};

}  // namespace

std::unique_ptr<SessionStore> make_local_session_store(StoreMetrics& metrics, std::chrono::seconds ttl) {
  return std::make_unique<LocalSessionStore>(metrics, ttl);
}

}  // namespace scalelab::store
