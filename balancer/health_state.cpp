// The backend health state machine; the rules are stated in health_state.hpp.
#include "balancer/health_state.hpp"

#include <algorithm>

namespace scalelab::balancer {

const char* check_state_name(CheckState s) {
  switch (s) {
    case CheckState::unknown:
      return "unknown";
    case CheckState::healthy:
      return "healthy";
    case CheckState::unhealthy:
      return "unhealthy";
  }
  return "unknown";
}

HealthState::HealthState(HealthPolicy policy)
    : policy_(policy), state_(policy.active_checks ? CheckState::unknown : CheckState::healthy) {}

bool HealthState::on_check(bool passed) {
  const bool was = healthy();
  if (passed) {
    consecutive_failures_ = 0;
    ++consecutive_passes_;
    // The first verdict is immediate: a new backend should not wait `rise` intervals
    // before taking traffic, nor keep taking it for `fall` intervals when it is down.
    if (state_ == CheckState::unknown || consecutive_passes_ >= policy_.rise) state_ = CheckState::healthy;
  } else {
    consecutive_passes_ = 0;
    ++consecutive_failures_;
    if (state_ == CheckState::unknown || consecutive_failures_ >= policy_.fall) state_ = CheckState::unhealthy;
  }
  return was != healthy();
}

bool HealthState::on_connect_failure(time_point now) {
  consecutive_5xx_ = 0;
  if (ejected(now)) return false;  // already out; do not stretch the ejection per attempt
  return eject(now);
}

bool HealthState::on_gateway_failure(time_point now) { return count_server_error(now); }

bool HealthState::on_status(unsigned status, time_point now) {
  if (status >= 500 && status <= 599) return count_server_error(now);
  consecutive_5xx_ = 0;
  return false;
}

bool HealthState::count_server_error(time_point now) {
  if (policy_.consecutive_5xx <= 0) return false;
  if (++consecutive_5xx_ < policy_.consecutive_5xx) return false;
  consecutive_5xx_ = 0;
  if (ejected(now)) return false;
  return eject(now);
}

bool HealthState::eject(time_point now) {
  // A streak continues when this ejection starts within `max` of the previous end.
  if (ejections_ == 0 || now - ejected_until_ > policy_.ejection_max) streak_ = 0;
  ++streak_;
  auto length = policy_.ejection_base;
  for (int i = 1; i < streak_ && length < policy_.ejection_max; ++i) length *= 2;
  length = std::min(length, policy_.ejection_max);
  ejected_until_ = now + length;
  ++ejections_;
  return true;
}

}  // namespace scalelab::balancer
