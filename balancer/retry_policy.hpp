// When a failed upstream attempt may be tried again elsewhere, and how many retries
// may run at once. Pure rules, unit-tested, kept in one table in retry_policy.cpp:
//  - a connect failure (refused, unreachable, connect timeout) never reached the
//    backend, so it is retried on the next backend for any method;
//  - a request that could not be written, or a reset or an empty response after it
//    was sent, may have been processed, so only GET and HEAD are retried, and only
//    when the request had no body (a body is streamed from the client as it arrives
//    and cannot be replayed). That holds for a reset halfway through the response
//    header too (reset_mid_header): nothing goes to the client before the header is
//    whole, so it has received nothing yet. The same holds when a whole header came
//    and the connection broke before the first body byte (truncated_response): the
//    head goes out with the first body bytes, so the client has nothing yet either;
//  - the per-try timeout (--try-timeout-ms) is the one timeout that retries: a GET or
//    HEAD without a body whose backend sent no whole response header within it (a
//    frozen instance) goes to the next backend; it is armed only for such requests;
//  - the response timeout (a write to the backend that stalls counts as one) and
//    malformed responses are never retried, nor is anything that failed once the
//    response had begun to reach the client;
//  - a request is tried at most 1 + --retries times, and never twice on one backend.
// The budget caps concurrent retries at max(min, ratio * requests in flight), so a
// failing backend cannot multiply the load on the others (a retry storm). Its minimum
// is never below the connections allowed to one backend (worker.hpp): when one backend
// dies, every request it had in flight can be retried at once; the budget bites when
// more than one backend fails together. A retry after a failed connect takes no slot:
// that request had reached no backend yet, so retrying it adds no load.
#pragma once

#include <atomic>
#include <ostream>  // beast/http/verb.hpp needs it but does not include it

#include <boost/beast/http/verb.hpp>
#include <string_view>

namespace scalelab::balancer {

enum class Failure {
  connect_refused,        // connect failed (refused, unreachable, reset during connect)
  connect_timeout,        // connect did not finish in time
  send_failed,            // the request could not be written (reset, broken pipe)
  empty_response,         // the connection closed before any response byte
  reset_before_response,  // reset after the request was sent, before any response byte
  response_timeout,       // no response (or no progress) within the response timeout
  try_timeout,            // no whole response header within the per-try timeout (GET/HEAD only)
  bad_response,           // unparsable or oversized response header
  reset_mid_header,       // reset after part of the response header (the client has nothing yet)
  truncated_response,     // broke off after the header, before any body byte (the client has nothing yet)
};

const char* failure_name(Failure f);

// The HTTP status and error code of the answer when this failure is the last one.
unsigned failure_status(Failure f);
const char* failure_error(Failure f);

// True when the attempt may be retried on another backend.
bool retryable(Failure f, boost::beast::http::verb method, bool body_streamed);

// True for failures that count as a failed connect (immediate ejection) rather than a
// gateway failure (which counts towards the consecutive-5xx ejection).
bool is_connect_failure(Failure f);

class RetryBudget {
 public:
  RetryBudget(double ratio, int min) : ratio_(ratio), min_(min) {}

  // Takes a retry slot if max(min, ratio * in_flight) allows one more. Pair each
  // successful acquire with release().
  bool try_acquire(long in_flight);
  void release() { active_.fetch_sub(1, std::memory_order_relaxed); }
  long active() const { return active_.load(std::memory_order_relaxed); }

 private:
  const double ratio_;
  const int min_;
  std::atomic<long> active_{0};
};

}  // namespace scalelab::balancer
