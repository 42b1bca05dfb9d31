#include "store/admission.hpp"

#include "store/clock.hpp"
#include "store/redis_layout.hpp"

namespace scalelab::store {
namespace {

// KEYS: the session, its request counter. ARGV: the session TTL, then the rate-limit
// key's head and tail (the user goes between) and the window key's TTL.
// Returns false without a session, else {user, created_by, created_at_ms, requests,
// window count}: the session arrives decoded (Redis has a spare core on a busy
// instance; the instance does not). A session that is not such JSON is an error reply,
// as SessionStore::touch would fail.
const RedisScript kAdmit(R"lua(
local v = redis.call('GETEX', KEYS[1], 'EX', ARGV[1])
if not v then return false end
local ok, s = pcall(cjson.decode, v)
if not ok or type(s) ~= 'table' or type(s.user) ~= 'string' or type(s.created_by) ~= 'string'
   or type(s.created_at_ms) ~= 'number' then
  return redis.error_reply('session ' .. KEYS[1] .. ' holds malformed data')
end
local n = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
local rk = ARGV[2] .. s.user .. ARGV[3]
local c = redis.call('INCR', rk)
if c == 1 then redis.call('EXPIRE', rk, ARGV[4]) end
return {s.user, s.created_by, s.created_at_ms, n, c}
)lua");

}  // namespace

RedisAdmission::RedisAdmission(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics,
                               std::chrono::seconds session_ttl)
    : redis_(std::move(redis)), session_ttl_(std::to_string(session_ttl.count())), admit_(metrics.op("redis", "admit")) {}

Admitted RedisAdmission::admit(const std::string& session_id, const RateRule& rule,
                               const std::vector<std::string>& cache_keys) {
  OpTimer t(admit_);
  const std::int64_t now = unix_seconds();
  const std::int64_t w = rule.window.count();
  // The window key as RateLimiter builds it, split around the user.
  const std::string head = redis_layout::kRatePrefix + rule.key_prefix;
  const std::string tail = redis_layout::rate_window_suffix(now / w);
  std::vector<RedisCommand> reads;
  reads.reserve(cache_keys.size());
  for (const auto& k : cache_keys) reads.push_back({"GET", redis_layout::cache_key(k)});

  auto replies = redis_->eval_then(
      kAdmit, {redis_layout::session_key(session_id), redis_layout::session_requests_key(session_id)},
      {session_ttl_, head, tail, std::to_string(w + 1)}, reads);

  Admitted out;
  out.cached.reserve(cache_keys.size());
  for (std::size_t i = 1; i < replies.size(); ++i)
    out.cached.push_back(replies[i].is_nil() ? std::nullopt : redis_layout::cache_value(replies[i].view()));
  const RedisReply& script = replies.front();
  if (script.is_nil() || !script.is_array()) {
    t.miss();
    return out;
  }
  out.session = Session{session_id, script[0].str(), script[1].str(), script[2].integer(), script[3].integer()};
  out.rate = decide(script[4].integer(), rule.limit, w, now);
  t.ok();
  return out;
}

}  // namespace scalelab::store
