// The one error shape every scalelab HTTP surface answers with:
//   {"error": "<short machine-readable code>", "detail": "<one human sentence>"}
// The app, the balancer, the supervisor's control API and the fault proxy all build
// their error bodies here, so clients (and the load generator) parse one format.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace scalelab {

inline nlohmann::json error_json(std::string_view error, std::string_view detail) {
  return nlohmann::json{{"error", error}, {"detail", detail}};
}

inline std::string error_body(std::string_view error, std::string_view detail) {
  return error_json(error, detail).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace scalelab
