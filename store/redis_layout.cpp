#include "store/redis_layout.hpp"

#include <nlohmann/json.hpp>

#include "store/errors.hpp"

namespace scalelab::store::redis_layout {

std::string session_key(const std::string& id) { return "sl:sess:" + id; }
std::string session_requests_key(const std::string& id) { return "sl:sess:" + id + ":n"; }

std::string encode_session(const Session& s) {
  return nlohmann::json{{"user", s.user}, {"created_by", s.created_by}, {"created_at_ms", s.created_at_ms}}.dump();
}

Session decode_session(const std::string& id, const std::string& json_text, std::int64_t requests) {
  Session s;
  s.id = id;
  try {
    auto j = nlohmann::json::parse(json_text);
    s.user = j.at("user").get<std::string>();
    s.created_by = j.at("created_by").get<std::string>();
    s.created_at_ms = j.at("created_at_ms").get<std::int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw StoreError("redis", "session " + id + " holds malformed data: " + e.what());
  }
  s.requests = requests;
  return s;
}

std::string rate_window_suffix(std::int64_t window_index) { return ":" + std::to_string(window_index); }

std::string rate_window_key(const std::string& key, std::int64_t window_index) {
  return kRatePrefix + key + rate_window_suffix(window_index);
}

std::string cache_key(const std::string& key) { return "sl:cache:" + key; }

std::optional<std::string> cache_value(std::string_view raw) {
  const auto first = raw.find('|');
  if (first == std::string_view::npos || raw.size() < first + 3 || raw[first + 1] != 'v' || raw[first + 2] != '|')
    return std::nullopt;
  return std::string(raw.substr(first + 3));
}

}  // namespace scalelab::store::redis_layout
