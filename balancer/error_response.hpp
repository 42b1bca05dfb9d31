// The answers the balancer makes by itself (bad input, no backend, upstream failures,
// admin API errors). Each has the project's one error shape,
// {"error","detail"} from common/json_error.hpp, and the same headers. Rendering it to
// bytes here keeps the proxy session free of message-building code.
#pragma once

#include <string>
#include <string_view>

namespace scalelab::balancer {

struct LocalAnswer {
  unsigned status = 500;
  std::string error;
  std::string detail;
};

// The complete HTTP/1.1 response: status line, Content-Type: application/json,
// Content-Length, Connection: keep-alive or close, X-Request-Id when given, and
// Retry-After: 1 on a 503. `head`: omit the body (the answer to a HEAD request).
std::string render_error(const LocalAnswer& answer, bool keep_alive, std::string_view request_id, bool head = false);

std::string_view reason_phrase(unsigned status);

}  // namespace scalelab::balancer
