// The HTTP transport of the fault proxy's control API, on Beast and the same
// single-threaded io_context as the proxies, so handlers touch proxy state without
// locks. It enforces the limits (8 KiB of headers, 64 KiB of body, 30 s per read or
// write), turns malformed HTTP into 4xx JSON, and applies the admin rules of
// common/admin_guard.hpp to every request before a route sees it: on a loopback address
// only a loopback Host with the API's port, and no change from a foreign Origin. The API
// has no token: it listens on loopback only, and its clients are the lab's supervisor,
// its console and Prometheus. The routes live in ApiHandler.
#pragma once

#include "common/asio.hpp"

#include <cstdint>
#include <map>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "common/admin_guard.hpp"
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
  // The answer to one whole request: a refusal, or what the handler says.
  ApiResponse respond(const boost::beast::http::request<boost::beast::http::string_body>& req,
                      const asio::ip::tcp::socket& socket);

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  ApiHandler& handler_;
  admin::Policy policy_;  // the port it is bound to, and no token
  std::map<std::uint64_t, boost::beast::tcp_stream*> sessions_;
  std::uint64_t next_id_ = 0;
  bool stopped_ = false;
};

}  // namespace scalelab::faultproxy
