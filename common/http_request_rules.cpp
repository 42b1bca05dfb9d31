// The request-head rules; stated in http_request_rules.hpp.
#include "common/http_request_rules.hpp"
#include "common/text.hpp"

#include <algorithm>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>

namespace scalelab::http_rules {

namespace http = boost::beast::http;

namespace {
// True when the request line in `unparsed` is "method SP target SP HTTP/d.d": exactly
// two spaces (neither a method nor a target has one), the second before a well-formed
// version. Beast fails such a line only for the version's value.
bool ends_in_http_version(std::string_view unparsed) {
  const std::string_view line = unparsed.substr(0, unparsed.find("\r\n"));
  if (line.size() < 9 || std::count(line.begin(), line.end(), ' ') != 2) return false;
  const std::string_view v = line.substr(line.size() - 9);
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return v.substr(0, 6) == " HTTP/" && digit(v[6]) && v[7] == '.' && digit(v[8]) && line.find(' ') < line.size() - 9;
}
}  // namespace

Rejection reject_parse_error(const boost::system::error_code& ec, std::string_view unparsed) {
  if (ec == http::error::bad_version && ends_in_http_version(unparsed))
    return {505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served"};
  if (ec == http::error::header_limit) return {431, "header_too_large", "the request header is larger than the limit"};
  if (ec == http::error::body_limit) return {413, "body_too_large", "the request body is larger than the limit"};
  if (ec == http::error::bad_content_length || ec == http::error::bad_transfer_encoding)
    return {400, "bad_framing", "conflicting or invalid Content-Length / Transfer-Encoding: " + ec.message()};
  if (ec == http::error::bad_version) return {400, "bad_request", "malformed HTTP version"};
  return {400, "bad_request", "malformed request: " + ec.message()};
}

std::optional<Rejection> validate_request_head(const RequestParser& parser) {
  const auto& req = parser.get();
  if (req.version() != 10 && req.version() != 11)
    return Rejection{505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served"};

  // Beast treats a request whose Transfer-Encoding does not end in chunked as having
  // no body, and ignores codings before chunked. A server must not: the next hop may
  // read the same bytes differently. Only the exact coding "chunked" passes.
  std::size_t te_headers = 0;
  bool chunked_only = true;
  for (auto it = req.find(http::field::transfer_encoding);
       it != req.end() && it->name() == http::field::transfer_encoding; ++it) {
    ++te_headers;
    std::size_t tokens = 0;
    for (auto token : http::token_list{it->value()}) {
      ++tokens;
      if (!text::iequals(token, "chunked")) chunked_only = false;
    }
    if (tokens != 1) chunked_only = false;
  }
  if (te_headers > 0) {
    if (!parser.chunked())
      return Rejection{400, "bad_framing", "Transfer-Encoding without chunked as the final coding"};
    if (te_headers != 1 || !chunked_only)
      return Rejection{501, "unsupported_transfer_encoding", "only Transfer-Encoding: chunked is supported"};
  }

  std::size_t hosts = req.count(http::field::host);
  if (req.version() == 11 && hosts != 1)
    return Rejection{400, "bad_host", "an HTTP/1.1 request needs exactly one Host header"};
  if (hosts > 1) return Rejection{400, "bad_host", "more than one Host header"};

  if (req.method() == http::verb::connect)
    return Rejection{501, "method_not_supported", "CONNECT is not supported here"};
  const auto target = req.target();
  const bool origin_form = !target.empty() && target.front() == '/';
  const bool absolute_form =
      text::istarts_with(target, "http://") || text::istarts_with(target, "https://");
  const bool asterisk = target == "*" && req.method() == http::verb::options;
  if (!origin_form && !absolute_form && !asterisk)
    return Rejection{400, "bad_target", "the request target must be an absolute path or URL"};
  return std::nullopt;
}

}  // namespace scalelab::http_rules
