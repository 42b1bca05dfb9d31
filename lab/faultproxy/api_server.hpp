// Why this file exists: the HTTP transport of the control API, on Beast and the same
// single-threaded io_context as the proxies, so handlers touch proxy state without
// locks. It enforces the limits (8 KiB of headers, 64 KiB of body, 30 s per read or
// write) and turns malformed HTTP into 4xx JSON; the routes live in ApiHandler.
#pragma once

#include "common/asio.hpp"

#include <cstdint>
#include <map>

#include <boost/beast/core/tcp_stream.hpp>

#include "common/net.hpp"
#include "lab/faultproxy/api_handler.hpp"

namespace scalelab::faultproxy {

class ApiServer {
 public:
  // Binds `endpoint`. Throws std::system_error (port in use).
  ApiServer(asio::io_context& io, const net::HostPort& endpoint, ApiHandler& handler);

  void start();
  // Stops accepting and closes every open API connection.
  void stop();

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(asio::ip::tcp::socket socket);

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  ApiHandler& handler_;
  std::map<std::uint64_t, boost::beast::tcp_stream*> sessions_;
  std::uint64_t next_id_ = 0;
  bool stopped_ = false;
};

}  // namespace scalelab::faultproxy
