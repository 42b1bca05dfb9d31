// common/admin_guard.hpp for servers built on cpp-httplib (the supervisor's control
// API and console, and any other admin surface on cpp-httplib): it reads what the guard
// needs from an httplib::Request and writes the refusal into the httplib::Response.
// Header-only because scalelab_common does not link cpp-httplib: include it only from
// targets that do (they get the library's CPPHTTPLIB_* defines from pkg-config).
#pragma once

#include <httplib.h>

#include <string>

#include "common/admin_guard.hpp"
#include "common/json_error.hpp"

namespace scalelab::admin {

// check() for a cpp-httplib request.
inline std::optional<Denial> check(const Policy& policy, const httplib::Request& req, Route route) {
  const std::string host = req.get_header_value("Host");
  const std::string origin = req.get_header_value("Origin");
  const std::string authorization = req.get_header_value("Authorization");
  return check(policy, Request{req.method, host, origin, authorization, req.remote_addr}, route);
}

// Checks `req` against `policy`. When it is refused, fills `res` (the status, an
// {"error","detail"} body, `WWW-Authenticate: Bearer` on a 401, and `Connection: close`,
// since a refused request's body is never read) and returns true.
inline bool refuse(const Policy& policy, const httplib::Request& req, Route route, httplib::Response& res) {
  const auto denial = check(policy, req, route);
  if (!denial) return false;
  res.status = denial->status;
  if (denial->status == 401) res.set_header("WWW-Authenticate", "Bearer");
  res.set_header("Connection", "close");
  res.set_content(error_body(denial->error, denial->detail), "application/json");
  return true;
}

}  // namespace scalelab::admin
