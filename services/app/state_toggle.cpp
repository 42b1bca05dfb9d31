#include "services/app/state_toggle.hpp"

namespace scalelab::app {

using store::Concern;
using store::kConcerns;
using store::Mode;

StateToggle::StateToggle(const Mode (&initial)[4]) {
  for (std::size_t i = 0; i < modes_.size(); ++i) modes_[i].store(initial[i]);
}

nlohmann::json StateToggle::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (Concern c : kConcerns) j[std::string(to_string(c))] = std::string(to_string(mode(c)));
  return j;
}

std::string StateToggle::header_value() const {
  const Mode first = mode(kConcerns[0]);
  bool uniform = true;
  for (Concern c : kConcerns) uniform = uniform && mode(c) == first;
  if (uniform) return std::string(to_string(first));
  std::string out;
  for (Concern c : kConcerns) {
    if (!out.empty()) out += ',';
    out += std::string(to_string(c)) + "=" + std::string(to_string(mode(c)));
  }
  return out;
}

std::string StateToggle::apply(const nlohmann::json& update) {
  if (!update.is_object() || update.empty())
    return "expected an object such as {\"mode\": \"local\"} or {\"sessions\": \"local\"}";
  std::array<std::optional<Mode>, 4> next;
  for (const auto& [key, value] : update.items()) {
    if (!value.is_string()) return "'" + key + "' must be \"shared\" or \"local\"";
    auto m = store::parse_mode(value.get<std::string>());
    if (!m) return "'" + key + "' must be \"shared\" or \"local\" (got \"" + value.get<std::string>() + "\")";
    if (key == "mode") {
      for (auto& n : next)
        if (!n) n = m;
      continue;
    }
    auto c = store::parse_concern(key);
    if (!c) return "unknown concern '" + key + "' (sessions, cache, uploads, ratelimit, or mode for all)";
    next[index(*c)] = m;
  }
  // A per-concern key wins over "mode", whatever the order in the object.
  if (update.contains("mode")) {
    const Mode all = *store::parse_mode(update["mode"].get<std::string>());
    for (Concern c : kConcerns)
      if (!update.contains(std::string(to_string(c)))) next[index(c)] = all;
  }
  for (Concern c : kConcerns)
    if (next[index(c)]) set(c, *next[index(c)]);
  return {};
}

}  // namespace scalelab::app
