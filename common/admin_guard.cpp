// The admin surfaces' rules; stated in admin_guard.hpp.
#include "common/admin_guard.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>

#include "common/net.hpp"
#include "common/text.hpp"

namespace scalelab::admin {
namespace {

using text::iequals;

bool token_matches(std::string_view authorization, const std::string& token) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() != kBearer.size() + token.size()) return false;
  if (!iequals(authorization.substr(0, kBearer.size()), kBearer)) return false;
  return CRYPTO_memcmp(authorization.data() + kBearer.size(), token.data(), token.size()) == 0;
}

}  // namespace

bool is_safe_method(std::string_view method) { return method == "GET" || method == "HEAD" || method == "OPTIONS"; }

bool is_loopback_host(std::string_view host, std::uint16_t port) {
  std::string_view name = host;
  std::string_view port_text;
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return false;
    name = host.substr(0, close + 1);
    const std::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port_text = rest.substr(1);
    }
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    name = host.substr(0, colon);
    port_text = host.substr(colon + 1);
  }
  const bool loopback_name = name == "127.0.0.1" || name == "[::1]" || iequals(name, "localhost");
  if (!loopback_name) return false;
  if (port_text.empty()) return port == 80 && host.back() != ':';
  return port_text == std::to_string(port);
}

std::optional<Denial> check(const Policy& policy, const Request& request, Route route) {
  // Browsers always send Host; only a non-browser client (an HTTP/1.0 tool) omits it.
  if (policy.loopback_listener && !request.host.empty() && !is_loopback_host(request.host, policy.port))
    return Denial{403, "forbidden_host",
                  "this surface answers only Host 127.0.0.1, localhost or [::1] with port " +
                      std::to_string(policy.port)};
  if (route == Route::admin) {
    if (!policy.token.empty()) {
      if (!token_matches(request.authorization, policy.token))
        return Denial{401, "unauthorized", "missing or wrong bearer token"};
    } else if (!net::is_loopback(request.remote)) {
      return Denial{403, "forbidden", "without a token this surface answers loopback clients only"};
    }
  }
  if (!is_safe_method(request.method) && !request.origin.empty()) {
    const bool same_origin = !request.host.empty() && request.origin.size() == 7 + request.host.size() &&
                             text::istarts_with(request.origin, "http://") &&
                             iequals(request.origin.substr(7), request.host);
    if (!same_origin)
      return Denial{403, "forbidden_origin",
                    "a request from " + std::string(request.origin) + " may not change anything here"};
  }
  return std::nullopt;
}

}  // namespace scalelab::admin
