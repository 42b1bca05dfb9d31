// The retry rules and budget; see retry_policy.hpp.
#include "balancer/retry_policy.hpp"

#include <algorithm>

namespace scalelab::balancer {

namespace http = boost::beast::http;

namespace {

enum class Retry { any_method, get_or_head_without_body, never };

// Every failure once: its name (logs, metrics), the answer when it is the last one,
// whether it counts as a failed connect, and when it may be retried.
struct FailureRow {
  Failure failure;
  const char* name;
  unsigned status;
  const char* error;
  bool connect;
  Retry retry;
};

constexpr FailureRow kFailures[] = {
    {Failure::connect_refused, "connect_refused", 502, "upstream_connect_failed", true, Retry::any_method},
    {Failure::connect_timeout, "connect_timeout", 504, "upstream_connect_timeout", true, Retry::any_method},
    {Failure::send_failed, "send_failed", 502, "upstream_reset", false, Retry::get_or_head_without_body},
    {Failure::empty_response, "empty_response", 502, "upstream_reset", false, Retry::get_or_head_without_body},
    {Failure::reset_before_response, "reset_before_response", 502, "upstream_reset", false,
     Retry::get_or_head_without_body},
    {Failure::response_timeout, "response_timeout", 504, "upstream_timeout", false, Retry::never},
    {Failure::try_timeout, "try_timeout", 504, "upstream_timeout", false, Retry::get_or_head_without_body},
    {Failure::bad_response, "bad_response", 502, "bad_upstream_response", false, Retry::never},
    {Failure::reset_mid_header, "reset_mid_header", 502, "upstream_reset", false, Retry::get_or_head_without_body},
    {Failure::truncated_response, "truncated_response", 502, "upstream_reset", false,
     Retry::get_or_head_without_body},
};

const FailureRow& row(Failure f) {
  for (const auto& r : kFailures)
    if (r.failure == f) return r;
  return kFailures[0];  // every enumerator has a row (retry_policy_test checks it)
}

}  // namespace

const char* failure_name(Failure f) { return row(f).name; }
unsigned failure_status(Failure f) { return row(f).status; }
const char* failure_error(Failure f) { return row(f).error; }
bool is_connect_failure(Failure f) { return row(f).connect; }

bool retryable(Failure f, http::verb method, bool body_streamed) {
  switch (row(f).retry) {
    case Retry::any_method: return true;
    case Retry::get_or_head_without_body:
      return (method == http::verb::get || method == http::verb::head) && !body_streamed;
    case Retry::never: return false;
  }
  return false;
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
