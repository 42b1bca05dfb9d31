// The retry rules and budget; see retry_policy.hpp.
#include "balancer/retry_policy.hpp"

#include <algorithm>

namespace scalelab::balancer {

namespace http = boost::beast::http;

const char* failure_name(Failure f) {
  switch (f) {
    case Failure::connect_refused:
      return "connect_refused";
    case Failure::connect_timeout:
      return "connect_timeout";
    case Failure::send_failed:
      return "send_failed";
    case Failure::empty_response:
      return "empty_response";
    case Failure::reset_before_response:
      return "reset_before_response";
    case Failure::response_timeout:
      return "response_timeout";
    case Failure::try_timeout:
      return "try_timeout";
    case Failure::bad_response:
      return "bad_response";
    case Failure::reset_mid_header:
      return "reset_mid_header";
  }
  return "unknown";
}

unsigned failure_status(Failure f) {
  switch (f) {
    case Failure::connect_timeout:
    case Failure::response_timeout:
    case Failure::try_timeout:
      return 504;
    default:
      return 502;
  }
}

const char* failure_error(Failure f) {
  switch (f) {
    case Failure::connect_refused:
      return "upstream_connect_failed";
    case Failure::connect_timeout:
      return "upstream_connect_timeout";
    case Failure::response_timeout:
    case Failure::try_timeout:
      return "upstream_timeout";
    case Failure::bad_response:
      return "bad_upstream_response";
    default:
      return "upstream_reset";
  }
}

bool is_connect_failure(Failure f) { return f == Failure::connect_refused || f == Failure::connect_timeout; }

bool retryable(Failure f, http::verb method, bool body_streamed) {
  switch (f) {
    case Failure::connect_refused:
    case Failure::connect_timeout:
      return true;
    case Failure::send_failed:
    case Failure::empty_response:
    case Failure::reset_before_response:
    case Failure::reset_mid_header:
    case Failure::try_timeout:
      return (method == http::verb::get || method == http::verb::head) && !body_streamed;
    default:
      return false;
  }
}

bool RetryBudget::try_acquire(long in_flight) {
  const long allowed = std::max<long>(min_, static_cast<long>(ratio_ * static_cast<double>(in_flight)));
  long current = active_.load(std::memory_order_relaxed);
  while (current < allowed) {
    if (active_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed)) return true;
  }
  return false;
}

}  // namespace scalelab::balancer
