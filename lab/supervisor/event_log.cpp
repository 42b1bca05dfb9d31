#include "lab/supervisor/event_log.hpp"

#include <chrono>

#include "common/log.hpp"

namespace scalelab::lab {

nlohmann::json to_json(const Event& e) {
  return {{"seq", e.seq}, {"ts", e.ts}, {"t", e.t}, {"kind", e.kind}, {"component", e.component}, {"detail", e.detail}};
}

Event EventLog::add(std::string kind, std::string component, std::string detail) {
  Event e;
  e.ts = log::now_rfc3339();
  e.t = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  e.kind = std::move(kind);
  e.component = std::move(component);
  e.detail = std::move(detail);
  {
    std::lock_guard lock(mu_);
    e.seq = next_++;
    events_.push_back(e);
    while (events_.size() > capacity_) events_.pop_front();
  }
  log::info("event", {{"seq", e.seq}, {"kind", e.kind}, {"component", e.component}, {"detail", e.detail}});
  return e;
}

nlohmann::json EventLog::since(std::uint64_t after) const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : events_)
    if (e.seq > after) out.push_back(to_json(e));
  return out;
}

std::uint64_t EventLog::last_seq() const {
  std::lock_guard lock(mu_);
  return next_ - 1;
}

}  // namespace scalelab::lab
