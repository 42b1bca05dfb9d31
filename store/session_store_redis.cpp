// Sessions in Redis (layout in redis_layout.hpp): SET EX to create, GETEX to read and
// slide the expiry.
#include "common/ids.hpp"
#include "store/clock.hpp"
#include "store/redis_layout.hpp"
#include "store/session_store.hpp"

namespace scalelab::store {
namespace {

using redis_layout::decode_session;
using redis_layout::session_key;
using redis_layout::session_requests_key;

// Read, slide the expiry of both keys and count the request, atomically.
const RedisScript kTouch(R"lua(
local v = redis.call('GETEX', KEYS[1], 'EX', ARGV[1])
if not v then return false end
local n = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return {v, n}
)lua");

class RedisSessionStore final : public SessionStore {
 public:
  RedisSessionStore(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics, std::chrono::seconds ttl)
      : redis_(std::move(redis)),
        ttl_(std::to_string(ttl.count())),
        create_(metrics.op("redis", "session_create")),
        get_(metrics.op("redis", "session_get")),
        touch_(metrics.op("redis", "session_touch")),
        destroy_(metrics.op("redis", "session_destroy")) {}

  const char* backend() const override { return "redis"; }

  Session create(const std::string& user, const std::string& instance) override {
    OpTimer t(create_);
    Session s{ids::random_token(16), user, instance, unix_ms(), 0};
    redis_->command({"SET", session_key(s.id), redis_layout::encode_session(s), "EX", ttl_});
    t.ok();
    return s;
  }

  std::optional<Session> get(const std::string& id) override {
    OpTimer t(get_);
    auto replies = redis_->pipeline({{"GET", session_key(id)}, {"GET", session_requests_key(id)}});
    if (replies[0].is_nil()) return t.found(std::optional<Session>());
    const std::int64_t n = replies[1].is_nil() ? 0 : replies[1].integer();
    return t.found(std::optional<Session>(decode_session(id, replies[0].str(), n)));
  }

  std::optional<Session> touch(const std::string& id) override {
    OpTimer t(touch_);
    auto reply = redis_->eval(kTouch, {session_key(id), session_requests_key(id)}, {ttl_});
    if (reply.is_nil() || !reply.is_array()) return t.found(std::optional<Session>());
    return t.found(std::optional<Session>(decode_session(id, reply[0].str(), reply[1].integer())));
  }

  bool destroy(const std::string& id) override {
    OpTimer t(destroy_);
    const bool existed = redis_->command({"DEL", session_key(id), session_requests_key(id)}).integer() > 0;
    existed ? t.ok() : t.miss();
    return existed;
  }

 private:
  std::shared_ptr<RedisClient> redis_;
  std::string ttl_;
  OpMetrics create_, get_, touch_, destroy_;
};

}  // namespace

std::unique_ptr<SessionStore> make_redis_session_store(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics,
                                                       std::chrono::seconds ttl) {
  return std::make_unique<RedisSessionStore>(std::move(redis), metrics, ttl);
}

}  // namespace scalelab::store
