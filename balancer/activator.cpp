// See activator.hpp.
#include "balancer/activator.hpp"

#include "balancer/short_exchange.hpp"
#include "balancer/socket_io.hpp"
#include "common/log.hpp"

namespace scalelab::balancer {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {
// How often the task looks at the queue: the delay between the first request waiting
// and the supervisor hearing of it is at most this.
constexpr auto kTick = 20ms;
constexpr auto kRepeatEvery = 1s;
constexpr auto kCallTimeout = 2s;
}  // namespace

Activator::Activator(const Settings& settings, Metrics& metrics) : settings_(settings), metrics_(metrics) {}

void Activator::start(asio::any_io_executor executor, asio::ip::tcp::endpoint supervisor) {
  executor_ = executor;
  supervisor_ = supervisor;
  tick_.emplace(executor);
  asio::co_spawn(executor, call_loop(), asio::detached);
}

void Activator::stop() {
  stopped_ = true;
  if (tick_) tick_->cancel();
}

bool Activator::enter() {
  const long before = waiting_.fetch_add(1, std::memory_order_relaxed);
  if (before < settings_.activation_queue) return true;
  waiting_.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

asio::awaitable<void> Activator::call_loop() {
  long reported = 0;  // what the last call said was waiting; 0: no call since the queue was last empty
  Clock::time_point next_call{};
  while (!stopped_) {
    const long now_waiting = waiting();
    if (now_waiting == 0) {
      reported = 0;
    } else if (reported == 0 || now_waiting >= 2 * reported || Clock::now() >= next_call) {
      reported = now_waiting;
      next_call = Clock::now() + kRepeatEvery;
      const bool ok = co_await call_supervisor(now_waiting);
      metrics_.count_activation_call(ok);
      if (stopped_) break;
    }
    tick_->expires_after(kTick);
    co_await io::wait(*tick_);
  }
}

asio::awaitable<bool> Activator::call_supervisor(long waiting) {
  const std::string body = "{\"waiting\":" + std::to_string(waiting) + "}";
  std::string request = "POST /activate HTTP/1.1\r\nHost: " + settings_.activator_address->str() +
                        "\r\nUser-Agent: scalelab-balancer-activator\r\nContent-Type: application/json"
                        "\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  const ExchangeResult r = co_await short_exchange(*executor_, supervisor_, std::move(request), kCallTimeout,
                                                   settings_.max_response_header_bytes);
  const bool ok = r.status >= 200 && r.status < 300;
  if (!ok)
    log::warn("activation call failed", {{"activator", settings_.activator_address->str()},
                                         {"waiting", waiting},
                                         {"error", r.status == 0 ? r.detail : "status " + std::to_string(r.status)}});
  else
    log::info("asked the lab for an instance", {{"waiting", waiting}});
  co_return ok;
}

}  // namespace scalelab::balancer
