// Active health checks; see health_checker.hpp.
#include "balancer/health_checker.hpp"

#include "balancer/short_exchange.hpp"
#include "balancer/socket_io.hpp"

namespace scalelab::balancer {

namespace asio = boost::asio;

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
  std::string request = "GET " + settings_.health_path + " HTTP/1.1\r\nHost: " + b.address().str() +
                        "\r\nUser-Agent: scalelab-balancer-health\r\nConnection: close\r\n\r\n";
  const ExchangeResult r =
      co_await short_exchange(executor_, b.endpoint(), std::move(request),
                              std::chrono::milliseconds(settings_.health_timeout_ms), settings_.max_response_header_bytes);
  if (r.status == 0) co_return Result{false, r.detail};
  if (r.status >= 200 && r.status < 300) co_return Result{true, ""};
  co_return Result{false, "status " + std::to_string(r.status)};
}

}  // namespace scalelab::balancer
