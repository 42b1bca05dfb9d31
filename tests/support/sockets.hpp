// Plain sockets on 127.0.0.1 for tests that speak raw bytes: a listener on a port the
// kernel picks, and a client connection. Both return -1 on failure and set close-on-exec.
#pragma once

#include <cstdint>

namespace scalelab::testkit {

// Listens on 127.0.0.1 on a free port, which goes to `port`.
int listen_loopback(std::uint16_t& port, int backlog);

// Connects to 127.0.0.1:port with TCP_NODELAY; `nonblocking` puts it in O_NONBLOCK
// once connected.
int connect_loopback(std::uint16_t port, bool nonblocking);

}  // namespace scalelab::testkit
