// One small HTTP/1.1 exchange of the balancer's own, on a connection of its own and
// under one deadline: the health checks' GET and the activator's call to the lab.
// Never used on the request path. Only the status line and header are read (the
// header within `max_header_bytes`); the connection is closed afterwards.
#pragma once

#include <chrono>
#include <string>

#include "common/asio.hpp"

namespace scalelab::balancer {

struct ExchangeResult {
  unsigned status = 0;  // 0 when no response arrived
  std::string detail;   // why not: "timeout", "connect: ...", "send: ...", "response: ..."
};

// Sends `request` (a complete HTTP/1.1 message, with Connection: close) to `to` and
// reads the response's header. The whole exchange ends within `timeout`.
boost::asio::awaitable<ExchangeResult> short_exchange(boost::asio::any_io_executor executor,
                                                      boost::asio::ip::tcp::endpoint to, std::string request,
                                                      std::chrono::milliseconds timeout,
                                                      std::size_t max_header_bytes);

}  // namespace scalelab::balancer
