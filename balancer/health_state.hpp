// The health of one backend, written as a pure state machine: it is handed results and
// times, and opens no socket and reads no clock, so its rules (rise, fall, ejection
// that grows on repeat) are unit-tested without timing. Two views combine:
//  - active: the result of periodic GET <health path> checks. A backend starts
//    `unknown`; the first check decides at once, after that `rise` consecutive passes
//    turn it healthy and `fall` consecutive failures turn it unhealthy.
//  - passive (outlier detection): a connect failure ejects at once; `consecutive_5xx`
//    5xx answers or gateway failures (timeouts, resets) in a row eject too. An ejection
//    lasts base * 2^(k-1), capped at max, where k counts ejections that started within
//    `max` of the previous one ending; a quiet backend starts again from base.
// Panic mode (every backend ineligible) is the picker's business, not this file's.
// Not thread-safe: Backend guards it with a mutex.
#pragma once

#include <chrono>
#include <cstdint>

namespace scalelab::balancer {

struct HealthPolicy {
  bool active_checks = true;  // false: backends start healthy and only passive rules apply
  int rise = 2;
  int fall = 3;
  int consecutive_5xx = 5;  // 0: 5xx never ejects
  std::chrono::milliseconds ejection_base{5000};
  std::chrono::milliseconds ejection_max{60000};
};

enum class CheckState { unknown, healthy, unhealthy };
const char* check_state_name(CheckState s);

class HealthState {
 public:
  using Clock = std::chrono::steady_clock;
  using time_point = Clock::time_point;

  explicit HealthState(HealthPolicy policy);

  // An active check finished. Returns true when healthy() changed.
  bool on_check(bool passed);

  // Passive events. Each returns true when it started an ejection.
  bool on_connect_failure(time_point now);
  bool on_gateway_failure(time_point now);          // response timeout, reset, empty or bad response
  bool on_status(unsigned status, time_point now);  // any response that arrived

  bool healthy() const { return state_ == CheckState::healthy; }
  CheckState check_state() const { return state_; }
  bool ejected(time_point now) const { return now < ejected_until_; }
  bool eligible(time_point now) const { return healthy() && !ejected(now); }
  time_point ejected_until() const { return ejected_until_; }
  std::uint64_t ejections() const { return ejections_; }
  int consecutive_failures() const { return consecutive_failures_; }
  int consecutive_5xx() const { return consecutive_5xx_; }

 private:
  bool count_server_error(time_point now);
  bool eject(time_point now);

  HealthPolicy policy_;
  CheckState state_;
  int consecutive_passes_ = 0;
  int consecutive_failures_ = 0;
  int consecutive_5xx_ = 0;
  std::uint64_t ejections_ = 0;
  int streak_ = 0;  // ejections in the current streak, for the growing length
  time_point ejected_until_{};
};

}  // namespace scalelab::balancer
