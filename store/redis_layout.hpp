// How scalelab lays its state out in Redis: key names and value encodings. They live
// in one place because more than one piece of code reads the same keys: each store
// for its own concern, and the admission (admission.hpp), which touches a session, a
// rate-limit window and cache entries in one round trip. Changing a layout here
// changes it for all of them; instances of different versions must not share a Redis.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/session_store.hpp"

namespace scalelab::store::redis_layout {

// A session: a JSON string {"user","created_by","created_at_ms"} at sl:sess:<id>, and
// its request counter beside it at sl:sess:<id>:n; both expire together.
std::string session_key(const std::string& id);
std::string session_requests_key(const std::string& id);
std::string encode_session(const Session& session);
// Throws StoreError when the stored JSON is not a session.
Session decode_session(const std::string& id, const std::string& json_text, std::int64_t requests);

// A rate-limit window: a counter at sl:rl:<key>:<window index>.
// The key is kRatePrefix + key + rate_window_suffix(index).
inline constexpr const char* kRatePrefix = "sl:rl:";
std::string rate_window_suffix(std::int64_t window_index);
std::string rate_window_key(const std::string& key, std::int64_t window_index);

// A cache entry: "<version>|v|<value>", or "<version>|t|" for a tombstone, at
// sl:cache:<key>.
std::string cache_key(const std::string& key);
// The value of a stored entry; nullopt for a tombstone or foreign data.
std::optional<std::string> cache_value(std::string_view raw);

}  // namespace scalelab::store::redis_layout
