// See short_exchange.hpp.
#include "balancer/short_exchange.hpp"

#include <memory>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "balancer/relay.hpp"

namespace scalelab::balancer {

namespace asio = boost::asio;
namespace http = boost::beast::http;

asio::awaitable<ExchangeResult> short_exchange(asio::any_io_executor executor, asio::ip::tcp::endpoint to,
                                               std::string request, std::chrono::milliseconds timeout,
                                               std::size_t max_header_bytes) {
  // On expiry the socket closes and every pending operation fails. The timer's handler
  // may run after this coroutine ended, so what it touches is shared with it.
  struct State {
    explicit State(asio::any_io_executor ex) : socket(ex), deadline(ex) {}
    asio::ip::tcp::socket socket;
    asio::steady_timer deadline;
    bool expired = false;
  };
  const auto state = std::make_shared<State>(executor);
  auto& socket = state->socket;
  state->deadline.expires_after(timeout);
  state->deadline.async_wait([state](boost::system::error_code ec) {
    if (ec) return;
    state->expired = true;
    boost::system::error_code ignored;
    state->socket.close(ignored);
  });
  struct Cancel {
    State& s;
    ~Cancel() { s.deadline.cancel(); }
  } cancel_on_exit{*state};
  const bool& expired = state->expired;

  boost::system::error_code cec;
  co_await socket.async_connect(to, asio::redirect_error(asio::use_awaitable, cec));
  if (cec) co_return ExchangeResult{0, expired ? "timeout" : "connect: " + cec.message()};
  io::set_fast_options(socket);
  const auto wec = co_await io::write_all(socket, asio::buffer(request));
  if (wec) co_return ExchangeResult{0, expired ? "timeout" : "send: " + wec.message()};
  boost::beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  parser.skip(true);  // only the status matters
  boost::system::error_code ec;
  bool got = false;
  const HeaderRead hr = co_await read_header(socket, buffer, parser, ec, got, max_header_bytes);
  if (hr != HeaderRead::ok) co_return ExchangeResult{0, expired ? "timeout" : "response: " + ec.message()};
  co_return ExchangeResult{parser.get().result_int(), ""};
}

}  // namespace scalelab::balancer
