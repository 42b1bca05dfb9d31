// Active health checks; see health_checker.hpp.
#include "balancer/health_checker.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "balancer/relay.hpp"

namespace scalelab::balancer {

namespace asio = boost::asio;
namespace http = boost::beast::http;

HealthChecker::HealthChecker(asio::any_io_executor executor, Registry& registry, const Settings& settings)
    : executor_(executor), registry_(registry), settings_(settings), timer_(executor) {}

void HealthChecker::start() {
  if (settings_.health_interval_ms <= 0) return;
  asio::co_spawn(executor_, supervise(), asio::detached);
}

void HealthChecker::stop() {
  stopped_ = true;
  timer_.cancel();
  for (auto& [b, t] : loops_) t->cancel();
}

asio::awaitable<void> HealthChecker::supervise() {
  // Watch the registry for backends without a check loop; loops end by themselves
  // when their backend leaves.
  std::uint64_t seen = 0;
  while (!stopped_) {
    if (registry_.version() != seen) {
      seen = registry_.version();
      const auto snapshot = registry_.snapshot();
      for (const auto& b : *snapshot) {
        if (loops_.count(b.get()) != 0) continue;
        loops_[b.get()] = std::make_shared<asio::steady_timer>(executor_);
        asio::co_spawn(executor_, check_loop(b), asio::detached);
      }
    }
    timer_.expires_after(std::chrono::milliseconds(50));
    co_await io::wait(timer_);
  }
}

asio::awaitable<void> HealthChecker::check_loop(std::shared_ptr<Backend> b) {
  const auto timer = loops_[b.get()];
  while (!stopped_) {
    if (registry_.find(b->id()) != b) break;  // removed (or replaced by a new one with its id)
    const Result r = co_await check_once(*b);
    if (stopped_) break;
    b->on_check(r.passed, r.detail);
    timer->expires_after(std::chrono::milliseconds(settings_.health_interval_ms));
    co_await io::wait(*timer);
  }
  loops_.erase(b.get());
}

asio::awaitable<HealthChecker::Result> HealthChecker::check_once(const Backend& b) {
  // The timeout covers the whole check; on expiry the socket closes and every pending
  // operation fails. The timer's handler may run after this coroutine ended, so what it
  // touches is shared with it.
  struct State {
    explicit State(asio::any_io_executor ex) : socket(ex), deadline(ex) {}
    asio::ip::tcp::socket socket;
    asio::steady_timer deadline;
    bool expired = false;
  };
  const auto state = std::make_shared<State>(executor_);
  auto& socket = state->socket;
  state->deadline.expires_after(std::chrono::milliseconds(settings_.health_timeout_ms));
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
  co_await socket.async_connect(b.endpoint(), asio::redirect_error(asio::use_awaitable, cec));
  if (cec) co_return Result{false, expired ? "timeout" : "connect: " + cec.message()};
  io::set_fast_options(socket);
  const std::string request = "GET " + settings_.health_path + " HTTP/1.1\r\nHost: " + b.address().str() +
                              "\r\nUser-Agent: scalelab-balancer-health\r\nConnection: close\r\n\r\n";
  const auto wec = co_await io::write_all(socket, asio::buffer(request));
  if (wec)
    co_return Result{false, expired ? "timeout" : "send: " + wec.message()};
  boost::beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  parser.skip(true);  // only the status matters
  boost::system::error_code ec;
  bool got = false;
  const HeaderRead hr = co_await read_header(socket, buffer, parser, ec, got, settings_.max_response_header_bytes);
  if (hr != HeaderRead::ok) co_return Result{false, expired ? "timeout" : "response: " + ec.message()};
  const unsigned status = parser.get().result_int();
  if (status >= 200 && status < 300) co_return Result{true, ""};
  co_return Result{false, "status " + std::to_string(status)};
}

}  // namespace scalelab::balancer
