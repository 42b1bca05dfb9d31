#include "lab/faultproxy/toxic.hpp"

#include <random>

#include <boost/asio/redirect_error.hpp>

namespace scalelab::faultproxy {

ToxicContext::ToxicContext(std::shared_ptr<const Toxic> toxic, ConnectionControl& connection)
    : toxic_(std::move(toxic)), connection_(connection) {}

bool ToxicContext::affects(Direction dir) const {
  const Direction mine = toxic_->spec().direction;
  return mine == Direction::both || mine == dir;
}

asio::awaitable<bool> ToxicContext::sleep_for(std::chrono::steady_clock::duration d) {
  if (!active_) co_return false;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(d);
  // Registered so deactivate() can cancel it; the timer lives in this frame, which
  // outlives the wait.
  sleepers_.insert(&timer);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  sleepers_.erase(&timer);
  co_return active_ && !ec;
}

asio::awaitable<void> ToxicContext::wait_until_inactive() {
  while (active_) co_await sleep_for(std::chrono::hours(24));
}

void ToxicContext::deactivate() {
  if (!active_) return;
  active_ = false;
  for (asio::steady_timer* t : sleepers_) t->cancel();
}

double random_unit() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

asio::awaitable<void> Toxic::on_attach(ToxicContext&) const { co_return; }

asio::awaitable<void> Toxic::on_data(ToxicContext&, Direction, std::string_view data, const Forward& next) const {
  co_await next(data);
}

asio::awaitable<void> Toxic::on_close(ToxicContext&, Direction) const { co_return; }

}  // namespace scalelab::faultproxy
