#include "lab/faultproxy/api_server.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "common/admin_guard.hpp"
#include "common/json_error.hpp"
#include "common/log.hpp"
#include "lab/faultproxy/listen.hpp"
#include "common/text.hpp"

namespace scalelab::faultproxy {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr std::size_t kBodyLimit = 64 * 1024;
constexpr auto kIoTimeout = std::chrono::seconds(30);

std::string_view sv(boost::string_view s) { return {s.data(), s.size()}; }

http::response<http::string_body> make_response(const ApiResponse& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res;
  res.version(version);
  res.result(static_cast<unsigned>(r.status));
  res.set(http::field::server, "scalelab-faultproxy");
  if (r.status != 204) {
    res.set(http::field::content_type, r.content_type);
    res.body() = r.body;
  }
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

}  // namespace

ApiServer::ApiServer(asio::io_context& io, const net::HostPort& endpoint, ApiHandler& handler)
    : io_(io), acceptor_(io), handler_(handler) {
  listen_or_throw(acceptor_, resolve_endpoint(io, endpoint), "control API");
  const auto bound = acceptor_.local_endpoint();
  policy_ = admin::Policy{"", bound.port(), bound.address().is_loopback()};
}

// The admin rules of common/admin_guard.hpp first; the probes are GET /healthz and GET
// /metrics, every other route is the API's own. Not a coroutine, so that nothing of it
// lives in session()'s frame.
ApiResponse ApiServer::respond(const http::request<http::string_body>& req, const tcp::socket& socket) {
  const std::string_view method = sv(req.method_string());
  const std::string_view target = sv(req.target());
  const std::string_view path = target.substr(0, target.find('?'));
  const bool probe = method == "GET" && (path == "/healthz" || path == "/metrics");
  error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  const std::string remote = ec ? std::string() : peer.address().to_string();
  const auto denial = admin::check(policy_,
                                   admin::Request{method, sv(req[http::field::host]), sv(req[http::field::origin]),
                                                  sv(req[http::field::authorization]), remote},
                                   probe ? admin::Route::probe : admin::Route::admin);
  if (denial) return {denial->status, "application/json", error_body(denial->error, denial->detail)};
  return handler_.handle(method, target, req.body());
}

void ApiServer::start() { asio::co_spawn(io_, accept_loop(), asio::detached); }

void ApiServer::stop() {
  stopped_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  for (auto& [id, stream] : sessions_) stream->socket().close(ignored);
}

asio::awaitable<void> ApiServer::accept_loop() {
  while (!stopped_) {
    error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) break;
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        log::warn("api accept failed", {{"error", ec.message()}});
        asio::steady_timer backoff(io_, std::chrono::milliseconds(50));
        co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      continue;
    }
    asio::co_spawn(io_, session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> ApiServer::session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  const std::uint64_t id = ++next_id_;
  sessions_[id] = &stream;
  beast::flat_buffer buffer;
  error_code ec;
  for (;;) {
    // A fresh parser per message: a Beast parser cannot be reused once it has read one,
    // and its limits apply only if set before the first read.
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    stream.expires_after(kIoTimeout);
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && text::iequals(parser.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
      stream.expires_after(kIoTimeout);
      co_await http::async_write(stream, cont, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!ec) {
      stream.expires_after(kIoTimeout);
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted || stopped_) break;

    ApiResponse answer;
    bool keep_alive = false;
    unsigned version = 11;
    if (ec == http::error::body_limit) {
      answer = {413, "application/json", error_body("too_large", "the body exceeds 64 KiB")};
    } else if (ec == http::error::header_limit) {
      answer = {431, "application/json", error_body("too_large", "the headers exceed 8 KiB")};
    } else if (ec && ec.category() == http::make_error_code(http::error::end_of_stream).category()) {
      answer = {400, "application/json", error_body("bad_request", "malformed HTTP: " + ec.message())};
    } else if (ec) {
      break;  // timeout or a transport error: nobody to answer
    } else {
      const auto& req = parser.get();
      version = req.version();
      keep_alive = req.keep_alive();
      answer = respond(req, stream.socket());
    }
    auto res = make_response(answer, version, keep_alive);
    stream.expires_after(kIoTimeout);
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !keep_alive) break;
  }
  sessions_.erase(id);
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace scalelab::faultproxy
