// Opens a listening socket on a HostPort, for the proxies and the control API alike.
// A failure comes out as std::system_error, which is what Server promises its
// callers, rather than Boost's exception type.
#pragma once

#include "common/asio.hpp"

#include <string>

#include "common/net.hpp"

namespace scalelab::faultproxy {

// Resolves host:port to its first TCP endpoint. Throws std::system_error.
boost::asio::ip::tcp::endpoint resolve_endpoint(boost::asio::io_context& io, const net::HostPort& address);

// Opens, binds (SO_REUSEADDR) and listens. On failure the acceptor is left closed and
// the error returned.
boost::system::error_code listen_on(boost::asio::ip::tcp::acceptor& acceptor,
                                    const boost::asio::ip::tcp::endpoint& endpoint);

// listen_on, throwing std::system_error naming `what` and the address on failure.
void listen_or_throw(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& endpoint,
                     const std::string& what);

}  // namespace scalelab::faultproxy
