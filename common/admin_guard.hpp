// Who may use an admin or control surface. Every one in scalelab (the app's admin API,
// the balancer's, the supervisor's control API and console, the fault proxy's) asks
// this one function before it acts, so the rules are the same everywhere:
//
//   - A listener on a loopback address answers only requests whose Host names loopback
//     with its own port (127.0.0.1:P, localhost:P, [::1]:P). A web page that rebinds its
//     own DNS name to 127.0.0.1 reaches the port, but its requests carry its own name.
//   - With a token set, admin routes require `Authorization: Bearer <token>`, from
//     loopback too (401 otherwise). Without one, only loopback clients may use them.
//   - A request that changes something (any method but GET, HEAD and OPTIONS) and
//     carries an Origin other than the listener's own is refused: a page on another
//     origin can send a POST that needs no preflight, and would otherwise act with the
//     user's access.
//
// Probes (health and metrics) skip the token, because scrapers and orchestrators rarely
// carry one; they still pass the Host rule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scalelab::admin {

struct Policy {
  std::string token;             // empty: no token, loopback clients only
  std::uint16_t port = 0;        // the port the surface listens on
  bool loopback_listener = true; // it listens on 127.0.0.0/8 or ::1
};

// What the guard reads of a request. `host` and `origin` are empty when the header is
// absent; `remote` is the client's address.
struct Request {
  std::string_view method;
  std::string_view host;
  std::string_view origin;
  std::string_view authorization;
  std::string_view remote;
};

enum class Route { probe, admin };

// Why a request was refused: the status, and the {"error","detail"} of its body. A 401
// also wants `WWW-Authenticate: Bearer`.
struct Denial {
  int status = 403;
  std::string error;
  std::string detail;
};

// nullopt: let it through.
std::optional<Denial> check(const Policy& policy, const Request& request, Route route);

// True for a Host value that names loopback with `port`: "127.0.0.1:P", "localhost:P"
// (any case), "[::1]:P", or those names alone when P is 80.
bool is_loopback_host(std::string_view host, std::uint16_t port);

// True for GET, HEAD and OPTIONS.
bool is_safe_method(std::string_view method);

}  // namespace scalelab::admin
