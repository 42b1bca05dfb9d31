// The rules an HTTP/1.1 request head must pass before anything in scalelab acts on it,
// and the answer for each one that fails. Beast's parser does the grammar; these are
// the checks it leaves out, which the balancer (before it forwards) and the app's and
// the supervisor's request gate (before cpp-httplib reads a byte) both apply, so every
// port refuses the same requests with the same answer:
//   conflicting or invalid Content-Length / Transfer-Encoding,
//   a coding list that does not end in chunked                 -> 400 bad_framing
//   a transfer coding other than exactly "chunked"             -> 501 unsupported_transfer_encoding
//   HTTP/1.1 without exactly one Host, or two Hosts            -> 400 bad_host
//   a well-formed version other than 1.0 and 1.1 (HTTP/2.0)     -> 505 http_version_not_supported
//   CONNECT                                                    -> 501 method_not_supported
//   a target not in origin, absolute or asterisk form          -> 400 bad_target
//   a header block over its limit                              -> 431 header_too_large
//   a body over its limit                                      -> 413 body_too_large
//   any other syntax error                                     -> 400 bad_request
#pragma once

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>

namespace scalelab::http_rules {

// A refused request: its status and the {"error","detail"} of the JSON body.
struct Rejection {
  unsigned status = 400;
  std::string error;
  std::string detail;
};

// The parser both sides run. The fields take their memory from an allocator: the
// balancer gives each request its connection's arena; default-constructed, a parser
// allocates from the heap.
using RequestParser =
    boost::beast::http::request_parser<boost::beast::http::buffer_body, std::pmr::polymorphic_allocator<char>>;

// The answer for a Beast parse error (never call it with need_more or need_buffer).
// `unparsed`: the bytes the parser stopped in, when the caller has them; they tell a
// well-formed but unsupported version such as HTTP/2.0 (505) from a malformed one (400).
Rejection reject_parse_error(const boost::system::error_code& ec, std::string_view unparsed = {});

// Checks a complete head Beast accepted. nullopt: it may be served.
std::optional<Rejection> validate_request_head(const RequestParser& parser);

}  // namespace scalelab::http_rules
