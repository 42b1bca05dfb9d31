// The per-event-loop deadline scanner; see deadline_scanner.hpp.
#include "balancer/deadline_scanner.hpp"

#include "balancer/socket_io.hpp"

namespace scalelab::balancer {

namespace asio = boost::asio;

Deadline::Deadline(DeadlineScanner& scanner, std::function<void()> on_expire) : on_expire_(std::move(on_expire)) {
  scanner.deadlines_.push_back(*this);
}

DeadlineScanner::DeadlineScanner(asio::any_io_executor executor) : timer_(std::move(executor)) {}

void DeadlineScanner::start() { asio::co_spawn(timer_.get_executor(), loop(), asio::detached); }

void DeadlineScanner::stop() {
  stopped_ = true;
  timer_.cancel();
}

asio::awaitable<void> DeadlineScanner::loop() {
  while (!stopped_) {
    timer_.expires_after(kTick);
    co_await io::wait(timer_);
    if (stopped_) break;
    const auto now = Deadline::Clock::now();
    // on_expire only cancels or closes; completions are posted, never run inline, so
    // no Deadline leaves the list while we walk it.
    for (auto& d : deadlines_) {
      if (d.at_ <= now) {
        d.at_ = Deadline::Clock::time_point::max();
        d.on_expire_();
      }
    }
  }
}

}  // namespace scalelab::balancer
