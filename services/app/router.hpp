// Routes by method and path, with at most one {id} segment at the end. cpp-httplib
// matches std::regex patterns one after another; routing here instead gives one place
// that knows every route, so unknown paths get 404, known paths with the wrong method
// get 405 with Allow, and every request gets its route template as a metric label.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "services/app/exchange.hpp"

namespace scalelab::app {

using Handler = std::function<void(Exchange&)>;

enum class RouteKind {
  api,    // /api/...: session lookup and the per-user rate limit run first
  ops,    // health, readiness, metrics: nothing runs first
  admin,  // /admin/...: the admin listener only, behind common/admin_guard.hpp
};

// Where a request came in. The service port (what the balancer forwards to) serves
// api and ops routes; the admin address serves ops and admin routes. A route a
// listener does not serve does not exist there: 404, and it is not named in a 405's
// Allow.
enum class Listener { service, admin };
bool serves(Listener listener, RouteKind kind);

// The cache keys a handler is known to read, so the admission can fetch them in the
// round trip it makes anyway (store/admission.hpp). Empty when there are none.
using CacheReads = std::function<std::vector<std::string>(const Exchange&)>;

struct Route {
  std::string method;   // GET also answers HEAD
  std::string pattern;  // "/api/items/{id}"
  RouteKind kind;
  bool takes_body;
  Handler handler;
  CacheReads cache_reads = nullptr;
};

class Router {
 public:
  void add(Route route);

  struct Match {
    int index = -1;          // into routes(); -1 when nothing matched
    std::string param;       // the {id}
    std::string allow;       // for 405: the methods this path answers
  };
  Match match(const std::string& method, const std::string& path, Listener listener = Listener::service) const;

  const std::vector<Route>& routes() const { return routes_; }
  std::vector<std::string> labels() const;

 private:
  std::vector<Route> routes_;
};

}  // namespace scalelab::app
