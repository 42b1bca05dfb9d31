// The lab's history: every spawn, exit (with its code or signal), readiness change,
// kill, pause, restart, scale, toggle and fault, with a timestamp and a sequence
// number. Experiments mark their charts with it and the console shows it. Bounded:
// the oldest events go first. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace scalelab::lab {

struct Event {
  std::uint64_t seq = 0;
  std::string ts;          // RFC 3339
  double t = 0;            // seconds since the Unix epoch, for charts
  std::string kind;        // spawn, exit, ready, unready, kill, pause, resume, restart, scale, toggle, fault, ...
  std::string component;   // "app-2", "redis", ... or "" for the lab
  std::string detail;
};

nlohmann::json to_json(const Event& e);

class EventLog {
 public:
  explicit EventLog(std::size_t capacity = 10000) : capacity_(capacity) {}
  // Records an event (and writes it as a JSON line to the supervisor's log).
  Event add(std::string kind, std::string component, std::string detail);
  // Events with seq > `after`, oldest first.
  nlohmann::json since(std::uint64_t after) const;
  std::uint64_t last_seq() const;

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::deque<Event> events_;
  std::uint64_t next_ = 1;
};

}  // namespace scalelab::lab
