// Sessions: who is logged in. The one piece of state that breaks first when a service
// keeps it in memory: behind a round-robin balancer, (N-1)/N of a user's requests reach
// an instance that never saw the login.
//
// Ids are 128 bits from OpenSSL's CSPRNG, base64url (22 characters). Expiry slides:
// every touch() pushes it `ttl` into the future.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "store/redis_client.hpp"
#include "store/store_metrics.hpp"

namespace scalelab::store {

struct Session {
  std::string id;
  std::string user;
  std::string created_by;           // the instance that created it
  std::int64_t created_at_ms = 0;   // Unix time
  std::int64_t requests = 0;        // touches so far
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;
  virtual const char* backend() const = 0;
  // A new session with a fresh id, created by `instance`.
  virtual Session create(const std::string& user, const std::string& instance) = 0;
  // The session if it exists and has not expired. No side effects.
  virtual std::optional<Session> get(const std::string& id) = 0;
  // Like get(), and also slides the expiry and counts one request.
  virtual std::optional<Session> touch(const std::string& id) = 0;
  // Removes it. True if it existed.
  virtual bool destroy(const std::string& id) = 0;
};

// Shared: Redis. The session is a JSON string set with SET EX and read with GETEX
// (read and slide in one command), its request counter a sibling key; touch() runs as
// one Lua script so the read, the slide and the count are atomic.
std::unique_ptr<SessionStore> make_redis_session_store(std::shared_ptr<RedisClient> redis, StoreMetrics& metrics,
                                                       std::chrono::seconds ttl);

// Local: a map in this process, with the same expiry rules.
std::unique_ptr<SessionStore> make_local_session_store(StoreMetrics& metrics, std::chrono::seconds ttl);

}  // namespace scalelab::store
