// The admin API; routes and rules are listed in admin_api.hpp.
#include "balancer/admin_api.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "balancer/dns_discovery.hpp"
#include "common/admin_guard.hpp"
#include "common/json_error.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

namespace scalelab::balancer {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

AdminApi::Response json_response(http::status status, const nlohmann::json& body, unsigned version) {
  AdminApi::Response res{status, version};
  res.set(http::field::content_type, "application/json");
  res.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return res;
}

AdminApi::Response error_response(http::status status, std::string_view error, std::string_view detail,
                                  unsigned version) {
  return json_response(status, error_json(error, detail), version);
}

std::string_view field(const AdminApi::Request& req, http::field f) {
  const auto v = req[f];
  return {v.data(), v.size()};
}

std::uint64_t total_requests(const BackendList& backends) {
  std::uint64_t total = 0;
  for (const auto& b : backends) total += b->requests_total.load(std::memory_order_relaxed);
  return total;
}

}  // namespace

nlohmann::json backend_json(const Backend& b, std::uint64_t total, Backend::Clock::time_point now,
                            std::chrono::milliseconds slow_start) {
  const HealthSnapshot h = b.health_snapshot(now);
  const std::uint64_t requests = b.requests_total.load();
  const char* state = b.remove_when_drained() ? "removing" : b.active() ? "active" : "draining";
  return {{"id", b.id()},
          {"address", b.address().str()},
          {"source", source_name(b.source())},
          {"state", state},
          {"healthy", b.healthy()},
          {"check_state", check_state_name(h.check_state)},
          {"ejected", h.ejected},
          {"ejected_for_ms", h.ejected_for_ms},
          {"eligible", b.eligible(now)},
          {"in_flight", b.in_flight.load()},
          {"requests_total", requests},
          {"share", total == 0 ? 0.0 : static_cast<double>(requests) / static_cast<double>(total)},
          {"failures", b.failures.load()},
          {"ejections", h.ejections},
          {"consecutive_check_failures", h.consecutive_failures},
          {"consecutive_5xx", h.consecutive_5xx},
          {"open_connections", b.open_connections.load()},
          {"idle_connections", b.idle_connections.load()},
          {"queue_depth", b.queue_depth.load()},
          {"slow_start_share", b.warmth(now, slow_start)}};
}

AdminApi::AdminApi(asio::any_io_executor executor, Shared& shared)
    : executor_(executor), shared_(shared), acceptor_(executor) {}

void AdminApi::listen(const tcp::endpoint& endpoint) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  loopback_listener_ = endpoint.address().is_loopback();
}

void AdminApi::start() { asio::co_spawn(executor_, accept_loop(), asio::detached); }

void AdminApi::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto* s : connections_) s->close(ignored);
}

asio::awaitable<void> AdminApi::accept_loop() {
  while (!stopped_) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) break;
    if (ec) continue;
    asio::co_spawn(executor_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> AdminApi::serve(tcp::socket accepted) {
  // Shared with the timeout handler, which may run after this coroutine ended.
  const auto owned = std::make_shared<tcp::socket>(std::move(accepted));
  tcp::socket& socket = *owned;
  connections_.push_back(&socket);
  const auto self = std::prev(connections_.end());
  beast::flat_buffer buffer;
  boost::system::error_code remote_ec;
  const auto remote_endpoint = socket.remote_endpoint(remote_ec);
  const std::string remote = remote_ec ? std::string() : remote_endpoint.address().to_string();
  try {
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(64 * 1024);
      // The admin API is low volume: plain Asio timers are fine here.
      asio::steady_timer timer(executor_);
      timer.expires_after(std::chrono::seconds(30));
      timer.async_wait([owned](boost::system::error_code ec) {
        if (!ec) owned->cancel(ec);
      });
      boost::system::error_code rec;
      co_await http::async_read(socket, buffer, parser, asio::redirect_error(asio::use_awaitable, rec));
      timer.cancel();
      if (rec == http::error::end_of_stream || rec == asio::error::eof || rec == asio::error::operation_aborted ||
          rec == asio::error::connection_reset || !socket.is_open())
        break;
      Response res;
      bool keep = false;
      if (rec) {
        const bool too_big = rec == http::error::header_limit || rec == http::error::body_limit;
        res = error_response(too_big ? http::status::payload_too_large : http::status::bad_request,
                             too_big ? "too_large" : "bad_request", rec.message(), 11);
      } else {
        keep = parser.get().keep_alive();
        res = co_await handle(parser.get(), remote);
      }
      res.keep_alive(keep);
      res.prepare_payload();
      boost::system::error_code wec;
      co_await http::async_write(socket, res, asio::redirect_error(asio::use_awaitable, wec));
      if (wec || !keep) break;
    }
  } catch (const std::exception& e) {
    log::error("admin connection failed", {{"error", e.what()}});
  }
  connections_.erase(self);
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

asio::awaitable<AdminApi::Response> AdminApi::handle(const Request& req, std::string_view remote) {
  const unsigned v = req.version();
  const std::string target(req.target());
  const std::string path = target.substr(0, target.find('?'));
  Registry& registry = shared_.registry;
  const auto now = Backend::Clock::now();
  const auto slow_start = shared_.settings.ms(shared_.settings.slow_start_ms);
  const auto one_backend = [&](const Backend& b) {
    return backend_json(b, total_requests(*registry.snapshot()), now, slow_start);
  };

  const admin::Policy policy{shared_.settings.admin_token, port_, loopback_listener_};
  const auto method = req.method_string();
  const admin::Request who{{method.data(), method.size()}, field(req, http::field::host), field(req, http::field::origin),
                           field(req, http::field::authorization), remote};
  const auto route = path.rfind("/admin/", 0) == 0 ? admin::Route::admin : admin::Route::probe;
  if (auto denial = admin::check(policy, who, route)) {
    auto res = error_response(static_cast<http::status>(denial->status), denial->error, denial->detail, v);
    if (denial->status == 401) res.set(http::field::www_authenticate, "Bearer");
    co_return res;
  }

  if (path == "/healthz") co_return json_response(http::status::ok, {{"status", "ok"}}, v);
  if (path == "/metrics") {
    Response res{http::status::ok, v};
    res.set(http::field::content_type, metrics::kContentType);
    res.body() = shared_.metrics.scrape(registry, shared_.panic.load(), shared_.activator.waiting());
    co_return res;
  }
  if (path.rfind("/admin/", 0) != 0) co_return error_response(http::status::not_found, "not_found", "no such route", v);

  auto method_not_allowed = [&](const char* allow) {
    auto res =
        error_response(http::status::method_not_allowed, "method_not_allowed", std::string("allowed: ") + allow, v);
    res.set(http::field::allow, allow);
    return res;
  };

  if (path == "/admin/backends") {
    if (req.method() == http::verb::get) {
      const auto snapshot = registry.snapshot();
      const auto total = total_requests(*snapshot);
      nlohmann::json list = nlohmann::json::array();
      for (const auto& b : *snapshot) list.push_back(backend_json(*b, total, now, slow_start));
      co_return json_response(http::status::ok,
                              {{"algorithm", algorithm_name(shared_.settings.algorithm)},
                               {"panic", shared_.panic.load()},
                               {"requests_total", total},
                               {"requests_received_total", shared_.requests_received.load()},
                               {"activation_waiting", shared_.activator.waiting()},
                               {"backends", std::move(list)}},
                              v);
    }
    if (req.method() != http::verb::post) co_return method_not_allowed("GET, POST");
    const auto body = nlohmann::json::parse(req.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object())
      co_return error_response(http::status::bad_request, "bad_json", "the body must be a JSON object", v);
    const auto address_it = body.find("address");
    if (address_it == body.end() || !address_it->is_string())
      co_return error_response(http::status::bad_request, "bad_address", "\"address\" (host:port) is required", v);
    const auto hp = net::parse_host_port(address_it->get<std::string>());
    if (!hp || hp->host.empty())
      co_return error_response(http::status::bad_request, "bad_address", "\"address\" must be host:port", v);
    std::string id = derive_backend_id(*hp);
    if (const auto id_it = body.find("id"); id_it != body.end()) {
      if (!id_it->is_string() || !is_valid_backend_id(id_it->get<std::string>()))
        co_return error_response(http::status::bad_request, "bad_id", "\"id\" must be 1..64 of [A-Za-z0-9._:-]", v);
      id = id_it->get<std::string>();
    }
    std::string error;
    const auto endpoint = co_await resolve_endpoint(executor_, *hp, error);
    if (!endpoint) co_return error_response(http::status::bad_request, "bad_address", error, v);
    const auto added = registry.add(id, *hp, *endpoint, Source::admin, &error);
    if (!added) co_return error_response(http::status::conflict, "backend_exists", error, v);
    co_return json_response(http::status::created, one_backend(*added), v);
  }

  constexpr std::string_view kPrefix = "/admin/backends/";
  if (path.rfind(kPrefix, 0) == 0) {
    std::string rest = path.substr(kPrefix.size());
    std::string action;
    if (const auto slash = rest.find('/'); slash != std::string::npos) {
      action = rest.substr(slash + 1);
      rest.resize(slash);
    }
    const std::string& id = rest;
    const auto b = registry.find(id);
    if (!b) co_return error_response(http::status::not_found, "backend_not_found", "no backend '" + id + "'", v);
    if (action.empty()) {
      if (req.method() == http::verb::get)
        co_return json_response(http::status::ok, one_backend(*b), v);
      if (req.method() != http::verb::delete_) co_return method_not_allowed("GET, DELETE");
      registry.drain(id, true);
      co_return json_response(http::status::accepted, one_backend(*b), v);
    }
    if (action == "drain" || action == "undrain") {
      if (req.method() != http::verb::post) co_return method_not_allowed("POST");
      if (action == "drain") {
        registry.drain(id, false);
        co_return json_response(http::status::accepted, one_backend(*b), v);
      }
      if (!registry.undrain(id))
        co_return error_response(http::status::conflict, "backend_removing", "the backend is being removed", v);
      co_return json_response(http::status::ok, one_backend(*b), v);
    }
  }
  co_return error_response(http::status::not_found, "not_found", "no such route", v);
}

}  // namespace scalelab::balancer
