// What scalelab-app knows about the request it is serving, from the moment routing
// starts to the access-log line: its id, its route, the session found, and how long
// each lifecycle stage took, for Server-Timing.
//
// cpp-httplib serves a request on one thread (or, on an event loop, one fiber) from
// pre-routing to the logger, so the context lives in a waits::task_local slot, one per
// thread or fiber; `owner` ties it to one Request so a
// response cpp-httplib writes without routing (a 400 on a malformed request line)
// never reports a previous request's context.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/session_store.hpp"
#include "store/state_mode.hpp"

namespace scalelab::app {

using Clock = std::chrono::steady_clock;

enum class SessionState { none, found, missing };

struct RequestContext {
  const void* owner = nullptr;
  Clock::time_point start{};
  std::string request_id;
  int route = -1;                 // index into the router's routes, -1 if unmatched
  std::string route_label = "unmatched";
  SessionState session_state = SessionState::none;
  std::optional<store::Session> session;
  // Entries of the shared cache the admission read in its round trip, by key.
  std::vector<std::pair<std::string, std::optional<std::string>>> prefetched;
  bool keep_alive = true;         // false: answer with Connection: close
  bool counted = false;           // counted in the in-flight gauge (went through routing)

  // Server-Timing stages, in seconds.
  double parse = 0, route_time = 0, middleware = 0, handler = 0, serialize = 0;

  std::string server_timing() const;
};

// The context of the request this thread (or fiber) serves now.
RequestContext& current_context();

// Adds the time it lives to one stage.
class StageTimer {
 public:
  explicit StageTimer(double& stage) : stage_(stage), start_(Clock::now()) {}
  ~StageTimer() { stage_ += std::chrono::duration<double>(Clock::now() - start_).count(); }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  double& stage_;
  Clock::time_point start_;
};

}  // namespace scalelab::app
