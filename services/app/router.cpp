#include "services/app/router.hpp"

namespace scalelab::app {
namespace {

// Matches `path` against "/prefix/{id}" or an exact pattern; fills `param`.
bool path_matches(const std::string& pattern, const std::string& path, std::string& param) {
  const auto brace = pattern.find("/{");
  if (brace == std::string::npos) return pattern == path;
  const std::string prefix = pattern.substr(0, brace + 1);  // keeps the slash
  if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
  const std::string rest = path.substr(prefix.size());
  if (rest.find('/') != std::string::npos) return false;
  param = rest;
  return true;
}

}  // namespace

bool serves(Listener listener, RouteKind kind) {
  return kind == RouteKind::ops || (kind == RouteKind::admin) == (listener == Listener::admin);
}

void Router::add(Route route) { routes_.push_back(std::move(route)); }

Router::Match Router::match(const std::string& method, const std::string& path, Listener listener) const {
  Match m;
  const std::string& effective = method == "HEAD" ? std::string("GET") : method;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    std::string param;
    if (!serves(listener, routes_[i].kind) || !path_matches(routes_[i].pattern, path, param)) continue;
    if (routes_[i].method == effective) {
      m.index = static_cast<int>(i);
      m.param = std::move(param);
      m.allow.clear();
      return m;
    }
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += routes_[i].method == "GET" ? "GET, HEAD" : routes_[i].method;
  }
  return m;
}

std::vector<std::string> Router::labels() const {
  std::vector<std::string> out;
  for (const auto& r : routes_) out.push_back(r.pattern);
  return out;
}

}  // namespace scalelab::app
