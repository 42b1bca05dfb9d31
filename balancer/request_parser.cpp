// The request-parsing entry point; the rules are stated in request_parser.hpp.
#include "balancer/request_parser.hpp"

#include <boost/beast/http/error.hpp>

namespace scalelab::balancer {

namespace http = boost::beast::http;

void configure(RequestParser& parser, const RequestLimits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(limits.max_body_bytes);
  parser.eager(false);
}

ParseOutcome parse_request(std::string_view bytes, const RequestLimits& limits) {
  ParseOutcome out;
  RequestParser parser;
  configure(parser, limits);
  boost::system::error_code ec;
  auto remaining = [&] { return boost::asio::const_buffer(bytes.data() + out.consumed, bytes.size() - out.consumed); };

  while (!parser.is_header_done()) {
    const std::size_t n = parser.put(remaining(), ec);
    out.consumed += n;
    if (ec == http::error::need_more) return out;  // incomplete: the proxy would read more
    if (ec) {
      out.rejection = reject_parse_error(ec);
      return out;
    }
  }
  if (auto rejection = validate_request_head(parser)) {
    out.rejection = std::move(rejection);
    return out;
  }
  char scratch[4096];
  while (!parser.is_done()) {
    parser.get().body().data = scratch;
    parser.get().body().size = sizeof scratch;
    const std::size_t n = parser.put(remaining(), ec);
    out.consumed += n;
    out.body_bytes += sizeof scratch - parser.get().body().size;
    if (ec == http::error::need_buffer) continue;
    if (ec == http::error::need_more) return out;
    if (ec) {
      out.rejection = reject_parse_error(ec);
      return out;
    }
    if (n == 0 && !parser.is_done()) return out;
  }
  out.complete = true;
  return out;
}

}  // namespace scalelab::balancer
