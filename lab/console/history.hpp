// Five minutes of what the sampler saw, one frame a second: each instance's rates and
// each balancer backend's answers per second and share. The console page asks for the
// frames it has not seen yet (since=T), so a poll every second carries one frame,
// not five minutes. Thread-safe: the sampler appends while HTTP threads read.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "lab/console/rates.hpp"

namespace scalelab::console {

struct BackendRates {
  double rps = 0;               // answers per second
  std::optional<double> share;  // of every backend's answers, 0..1; none when idle
};

// The lab's database as its server counts it (lab/supervisor/db_meter.hpp).
struct DatabaseFrame {
  std::optional<double> connections, budget;
};

struct Frame {
  double t = 0;  // seconds since the Unix epoch
  std::map<std::string, InstanceRates> instances;  // only instances that were scraped
  std::map<std::string, BackendRates> backends;    // only when the balancer answered
  std::optional<DatabaseFrame> database = std::nullopt;  // only when the lab has one
};

class History {
 public:
  explicit History(double window_s = 300) : window_s_(window_s) {}

  // Appends `f` (t must grow) and forgets frames older than the window.
  void add(Frame f);

  // Frames with t > since, column-wise so the page appends arrays:
  //   {"t": [...], "instances": {"app-1": {"rps": [...], "error_rate": [...], "p99_ms": [...],
  //                                         "redis_connects": [...], "db_connections": [...],
  //                                         "db_waiting": [...]}},
  //    "backends": {"app-1": {"rps": [...], "share": [...]}},
  //    "lab": {"database": {"connections": [...], "budget": [...]}}}   (lab: when a frame has a database)
  // Every array is as long as "t"; null where an id has no value in a frame.
  nlohmann::json since(double since) const;

 private:
  double window_s_;
  mutable std::mutex mu_;
  std::deque<Frame> frames_;
};

}  // namespace scalelab::console
