// Exponential backoff between failed connects, shared by the S3 connection pool and
// the Redis connection. While it is in force, callers fail in microseconds with the
// last connect error instead of each paying a connect timeout against a dead backend.
// Not thread-safe: its owner guards it with the lock that guards the connections.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>

#include "store/errors.hpp"

namespace scalelab::store {

class ReconnectBackoff {
 public:
  ReconnectBackoff(std::chrono::milliseconds min, std::chrono::milliseconds max) : min_(min), max_(max) {}

  // While connects must not be tried, throws StoreUnavailable naming the last error.
  void throw_if_in_force(const std::string& backend, const std::string& address) const {
    if (std::chrono::steady_clock::now() < next_connect_)
      throw StoreUnavailable(backend, "backing off from " + address + " after: " + last_error_);
  }

  void connected() {
    delay_ = std::chrono::milliseconds(0);
    next_connect_ = {};
  }
  void failed(std::string cause) {
    delay_ = delay_.count() == 0 ? min_ : std::min(delay_ * 2, max_);
    next_connect_ = std::chrono::steady_clock::now() + delay_;
    last_error_ = std::move(cause);
  }

 private:
  std::chrono::milliseconds min_, max_;
  std::chrono::milliseconds delay_{0};
  std::chrono::steady_clock::time_point next_connect_{};
  std::string last_error_;
};

}  // namespace scalelab::store
