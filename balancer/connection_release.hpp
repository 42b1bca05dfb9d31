// The ways an upstream connection leaves a request: kept for the next one, or closed
// for a reason that the balancer counts (balancer_upstream_connections_closed_total,
// label `reason`), so a backend that breaks its framing shows up as a number rather
// than as another client's answer.
#pragma once

#include <cstddef>

namespace scalelab::balancer {

enum class Release {
  keep,                // clean end of a keep-alive response: back to the pool
  backend_close,       // the response asked for the close (Connection: close, HTTP/1.0, read to EOF)
  overran_framing,     // bytes arrived past the end the response's framing declared
  request_unfinished,  // the request body was not all sent (the backend answered early)
  failed,              // the attempt failed: connect, timeout, reset, malformed or truncated response
  idle_data,           // bytes arrived while it was idle: the backend is out of step
  idle_eof,            // the backend closed it while it was idle
  idle_timeout,        // idle for longer than the upstream idle timeout
  draining,            // its backend is draining or leaving
  shutdown,            // the balancer is stopping
};
inline constexpr std::size_t kReleaseKinds = 10;
const char* release_name(Release r);

}  // namespace scalelab::balancer
