#include "lab/faultproxy/api_handler.hpp"

#include <vector>

#include "common/json_error.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

namespace scalelab::faultproxy {
namespace {

ApiResponse json(int status, const nlohmann::json& body) {
  return {status, "application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

ApiResponse error(int status, std::string_view code, std::string_view detail) {
  return {status, "application/json", error_body(code, detail)};
}

ApiResponse no_content() { return {204, "application/json", ""}; }

ApiResponse not_allowed(std::string_view method, std::string_view path) {
  return error(405, "method_not_allowed", std::string(method) + " is not allowed on " + std::string(path));
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return parts;
}

}  // namespace

ApiResponse ApiHandler::handle(std::string_view method, std::string_view target, std::string_view body) {
  const std::string_view path = target.substr(0, target.find('?'));
  try {
    return route(method, path, body);
  } catch (const std::exception& e) {
    // A bug, not bad input; answer instead of dropping the connection.
    log::error("api handler failed", {{"method", method}, {"path", path}, {"error", e.what()}});
    return error(500, "internal", e.what());
  }
}

ApiResponse ApiHandler::route(std::string_view method, std::string_view path, std::string_view body) {
  const auto parts = split_path(path);
  if (parts.size() == 1 && parts[0] == "healthz") {
    return method == "GET" ? json(200, {{"status", "ok"}}) : not_allowed(method, path);
  }
  if (parts.size() == 1 && parts[0] == "metrics") {
    if (method != "GET") return not_allowed(method, path);
    return {200, metrics::kContentType, metrics::serialize(registry_)};
  }
  if (parts.size() == 1 && parts[0] == "reset") {
    if (method != "POST") return not_allowed(method, path);
    for (auto& [name, proxy] : proxies_) proxy->clear_toxics();
    return no_content();
  }
  if (parts.empty() || parts[0] != "proxies" || parts.size() > 4 || (parts.size() >= 3 && parts[2] != "toxics"))
    return error(404, "not_found", "no route " + std::string(path));
  if (parts.size() == 1) {
    if (method != "GET") return not_allowed(method, path);
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, proxy] : proxies_) out[name] = proxy->to_json();
    return json(200, out);
  }
  const auto it = proxies_.find(std::string(parts[1]));
  if (it == proxies_.end()) return error(404, "not_found", "no proxy named '" + std::string(parts[1]) + "'");
  Proxy& proxy = *it->second;
  if (parts.size() == 2) return method == "GET" ? json(200, proxy.to_json()) : not_allowed(method, path);
  if (parts.size() == 3) return toxics(proxy, method, body);

  const std::string toxic(parts[3]);
  if (method == "GET") {
    if (auto t = proxy.toxic_json(toxic)) return json(200, *t);
  } else if (method == "DELETE") {
    if (proxy.remove_toxic(toxic)) return no_content();
  } else {
    return not_allowed(method, path);
  }
  return error(404, "not_found", "proxy '" + proxy.name() + "' has no toxic named '" + toxic + "'");
}

ApiResponse ApiHandler::toxics(Proxy& proxy, std::string_view method, std::string_view body) {
  if (method == "GET") return json(200, proxy.toxics_json());
  if (method == "DELETE") {
    proxy.clear_toxics();
    return no_content();
  }
  if (method != "POST") return not_allowed(method, "/proxies/" + proxy.name() + "/toxics");
  const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return error(400, "bad_json", "the body is not valid JSON");
  ToxicSpec spec;
  try {
    spec = parse_toxic_spec(parsed);
  } catch (const SpecError& e) {
    return error(400, "invalid_toxic", e.what());
  }
  if (!proxy.add_toxic(spec))
    return error(409, "toxic_exists", "proxy '" + proxy.name() + "' already has a toxic named '" + spec.name + "'");
  return json(201, spec.to_json());
}

}  // namespace scalelab::faultproxy
