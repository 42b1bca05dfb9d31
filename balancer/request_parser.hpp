// Why this file exists: the request-parsing entry point, kept free of sockets so unit
// tests and the libFuzzer target (fuzz/request_parser_fuzz.cpp) drive exactly what the
// proxy runs. Beast's parser does the HTTP/1.1 grammar; this file sets its limits and
// adds the checks a proxy needs on top, then maps every rejection to the answer the
// client gets:
//   header over the limit                              -> 431 header_too_large
//   request line alone over the header limit           -> 414 uri_too_long (relay.hpp)
//   body over the limit (declared or counted, chunked) -> 413 body_too_large
//   Content-Length with Transfer-Encoding, repeated or
//   conflicting Content-Length, chunked not last       -> 400 bad_framing (smuggling)
//   a transfer coding other than chunked               -> 501 unsupported_transfer_encoding
//   HTTP/1.1 without exactly one Host                  -> 400 bad_host
//   a well-formed version other than 1.0 and 1.1       -> 505 http_version_not_supported
//   CONNECT, or a target not in origin/absolute form   -> 501 / 400
//   any other syntax error                             -> 400 bad_request
// The caller closes the connection after any rejection.
#pragma once

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>

namespace scalelab::balancer {

struct Rejection {
  unsigned status = 400;
  std::string error;   // the JSON body's "error"
  std::string detail;  // the JSON body's "detail"
};

struct RequestLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 100ull * 1024 * 1024;
};

// The parsed header's fields take their memory from an allocator: the proxy gives each
// request's parser its connection's arena (message_arena.hpp); default-constructed, a
// parser allocates from the heap.
using RequestParser =
    boost::beast::http::request_parser<boost::beast::http::buffer_body, std::pmr::polymorphic_allocator<char>>;

// Applies the limits. Call on each fresh parser before it sees a byte.
void configure(RequestParser& parser, const RequestLimits& limits);

// The answer for a Beast parse error (never for need_more / need_buffer). `unparsed`:
// the bytes the parser stopped in, when the caller has them; they tell a well-formed
// but unsupported version such as HTTP/2.0 (505) from a malformed one (400).
Rejection reject_parse_error(const boost::system::error_code& ec, std::string_view unparsed = {});

// Checks a complete header Beast accepted. nullopt: forward it.
std::optional<Rejection> validate_request_head(const RequestParser& parser);

// Parses one whole request from `bytes`, body included, as the proxy would.
struct ParseOutcome {
  bool complete = false;               // a full request was read
  std::optional<Rejection> rejection;  // set when the proxy would refuse it
  std::size_t consumed = 0;            // bytes of `bytes` used
  std::uint64_t body_bytes = 0;
};
ParseOutcome parse_request(std::string_view bytes, const RequestLimits& limits);

}  // namespace scalelab::balancer
