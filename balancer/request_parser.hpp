// The request-parsing entry point, kept free of sockets so unit tests and the
// libFuzzer target (fuzz/request_parser_fuzz.cpp) drive exactly what the proxy runs.
// Beast's parser does the HTTP/1.1 grammar; the checks a server needs on top, and the
// answer the client gets for each refusal, live in common/http_request_rules.hpp (the
// app's request gate applies the same ones). This file sets the proxy's limits:
//   header over the limit                              -> 431 header_too_large
//   request line alone over the header limit           -> 414 uri_too_long (relay.hpp)
//   body over the limit (declared or counted, chunked) -> 413 body_too_large
// The caller closes the connection after any rejection.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/http_request_rules.hpp"

namespace scalelab::balancer {

using http_rules::Rejection;

struct RequestLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 100ull * 1024 * 1024;
};

// The proxy gives each request's parser its connection's arena (message_arena.hpp).
using http_rules::RequestParser;

// Applies the limits. Call on each fresh parser before it sees a byte.
void configure(RequestParser& parser, const RequestLimits& limits);

// The answer for a Beast parse error, and the checks on a complete head (nullopt:
// forward it).
using http_rules::reject_parse_error;
using http_rules::validate_request_head;

// Parses one whole request from `bytes`, body included, as the proxy would.
struct ParseOutcome {
  bool complete = false;               // a full request was read
  std::optional<Rejection> rejection;  // set when the proxy would refuse it
  std::size_t consumed = 0;            // bytes of `bytes` used
  std::uint64_t body_bytes = 0;
};
ParseOutcome parse_request(std::string_view bytes, const RequestLimits& limits);

}  // namespace scalelab::balancer
