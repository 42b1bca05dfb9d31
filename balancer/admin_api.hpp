// The balancer is steered at run time through this admin API. It has a listener of
// its own (loopback by default) so that no proxied request can ever reach it:
//   GET    /admin/backends              every backend, with state, health and counters
//   GET    /admin/backends/{id}         one backend
//   POST   /admin/backends              {"id": "app-2", "address": "127.0.0.1:8082"} -> 201
//   DELETE /admin/backends/{id}         drain, then remove -> 202
//   POST   /admin/backends/{id}/drain   stop new requests, keep it listed -> 202
//   POST   /admin/backends/{id}/undrain back into rotation -> 200
//   GET    /metrics                     Prometheus text
//   GET    /healthz                     {"status": "ok"}
// Who may call it follows common/admin_guard.hpp, as for every scalelab admin surface:
// on a loopback listener only a loopback Host with the admin port is answered (DNS
// rebinding); /admin/* requires `Authorization: Bearer <token>` when --admin-token is
// set, from loopback too (401 otherwise), and answers only loopback clients when it is
// not; a mutation with a foreign Origin gets 403. /metrics and /healthz need no token,
// for scrapers and probes. Errors use the {"error","detail"} shape. The JSON fields
// are documented in balancer/README.md.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <list>
#include <nlohmann/json.hpp>
#include <string>

#include "balancer/balancer_metrics.hpp"
#include "balancer/registry.hpp"
#include "balancer/settings.hpp"
#include "balancer/worker.hpp"
#include "common/asio.hpp"

namespace scalelab::balancer {

// The admin JSON of one backend (also what the tests and the lab's console read).
nlohmann::json backend_json(const Backend& b, std::uint64_t total_requests, Backend::Clock::time_point now,
                            std::chrono::milliseconds slow_start);

class AdminApi {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  AdminApi(boost::asio::any_io_executor executor, Shared& shared);
  // Binds; throws boost::system::system_error when the address is taken.
  void listen(const boost::asio::ip::tcp::endpoint& endpoint);
  void start();
  void stop();

  // Routes one request from the client at `remote` (exposed for tests).
  boost::asio::awaitable<Response> handle(const Request& req, std::string_view remote);

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

  boost::asio::any_io_executor executor_;
  Shared& shared_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;        // where it listens, for the Host rule
  bool loopback_listener_ = true;
  bool stopped_ = false;
  std::list<boost::asio::ip::tcp::socket*> connections_;
};

}  // namespace scalelab::balancer
