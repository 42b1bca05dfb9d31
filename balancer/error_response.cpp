// Rendering of the balancer's own answers; see error_response.hpp.
#include "balancer/error_response.hpp"

#include <boost/beast/http/status.hpp>

#include "common/json_error.hpp"

namespace scalelab::balancer {

std::string_view reason_phrase(unsigned status) {
  auto r = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  return {r.data(), r.size()};
}

std::string render_error(const LocalAnswer& answer, bool keep_alive, std::string_view request_id, bool head) {
  const std::string body = error_body(answer.error, answer.detail);
  std::string out;
  out.reserve(256 + body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(answer.status);
  out += ' ';
  out += reason_phrase(answer.status);
  out += "\r\nContent-Type: application/json\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += keep_alive ? "\r\nConnection: keep-alive" : "\r\nConnection: close";
  if (answer.status == 503) out += "\r\nRetry-After: 1";
  if (!request_id.empty()) {
    out += "\r\nX-Request-Id: ";
    out += request_id;
  }
  out += "\r\n\r\n";
  if (!head) out += body;
  return out;
}

}  // namespace scalelab::balancer
