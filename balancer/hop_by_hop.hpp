// Why this file exists: which headers cross the proxy. Hop-by-hop headers describe one
// connection, not the message, so they are dropped in both directions: Connection,
// every header Connection names, Keep-Alive, Proxy-Connection, Proxy-Authenticate,
// Proxy-Authorization, TE, Trailer, Transfer-Encoding and Upgrade. Framing
// (Content-Length or chunked) is then re-applied by the caller from what the parser
// actually read, so the two sides of the proxy never disagree about where a message
// ends (the root of request smuggling). Requests also gain X-Forwarded-For and
// X-Forwarded-Proto here (X-Request-Id: request_id.hpp).
#pragma once

#include <boost/beast/http/fields.hpp>
#include <string>
#include <string_view>

namespace scalelab::balancer {

// Removes the hop-by-hop headers listed above from `fields`. Names listed in
// Connection are removed too, except Host and Content-Length, which a client must not
// be able to strip from the forwarded message.
void strip_hop_by_hop(boost::beast::http::fields& fields);

// Appends `client_ip` to X-Forwarded-For (joining repeated headers into one), and sets
// X-Forwarded-Proto to `proto`.
void add_forwarded_for(boost::beast::http::fields& fields, std::string_view client_ip, std::string_view proto);

}  // namespace scalelab::balancer
