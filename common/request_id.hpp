// The rule for an incoming X-Request-Id, shared by the balancer and the app so a request
// keeps one id across both: it is kept when it is 1 to 128 visible ASCII characters
// (0x21..0x7e: no spaces, no control bytes, nothing a log line or a header could be
// broken with); otherwise the receiver makes a new one.
#pragma once

#include <string_view>

namespace scalelab {

inline bool is_acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

}  // namespace scalelab
