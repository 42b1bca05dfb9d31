// The fault proxy's control API as a plain function from request to answer: its
// routes and JSON shapes, with the HTTP transport left to api_server.cpp, so the API
// can be tested without a socket and read in one place. It follows Toxiproxy's:
//
//   GET    /healthz                       {"status":"ok"}
//   GET    /metrics                       Prometheus text
//   GET    /proxies                       {NAME: proxy, ...}
//   GET    /proxies/NAME                  proxy = {"name","listen","upstream","listening",
//                                                  "toxics":[toxic...],"stats":{...}}
//   GET    /proxies/NAME/toxics           [toxic, ...]
//   POST   /proxies/NAME/toxics           body {"type","name"?,"direction"?,"toxicity"?,
//                                               "attributes"?} -> 201 toxic
//   DELETE /proxies/NAME/toxics           clears that proxy's toxics -> 204
//   GET    /proxies/NAME/toxics/TOXIC     toxic
//   DELETE /proxies/NAME/toxics/TOXIC     -> 204
//   POST   /reset                         clears every proxy's toxics -> 204
//
// toxic = {"name","type","direction","toxicity","attributes":{...}}. Errors are
// {"error","detail"} (common/json_error.hpp): 400 bad_json / invalid_toxic, 404
// not_found, 405 method_not_allowed, 409 toxic_exists.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <prometheus/registry.h>

#include "lab/faultproxy/proxy.hpp"

namespace scalelab::faultproxy {

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class ApiHandler {
 public:
  ApiHandler(std::map<std::string, std::shared_ptr<Proxy>>& proxies, prometheus::Registry& registry)
      : proxies_(proxies), registry_(registry) {}

  // Never throws: every failure becomes a JSON error response. Must run on the
  // proxies' io_context thread.
  ApiResponse handle(std::string_view method, std::string_view target, std::string_view body);

 private:
  ApiResponse route(std::string_view method, std::string_view path, std::string_view body);
  ApiResponse toxics(Proxy& proxy, std::string_view method, std::string_view body);

  std::map<std::string, std::shared_ptr<Proxy>>& proxies_;
  prometheus::Registry& registry_;
};

}  // namespace scalelab::faultproxy
