// The thread of worker.hpp: spawn the users, run the loop, enforce timeouts, and hand
// the counters over when asked.
#include "lab/load/worker.hpp"

#include <algorithm>
#include <exception>

#include "common/log.hpp"
#include "lab/load/virtual_user.hpp"

namespace scalelab::load {
namespace asio = boost::asio;
using asio::redirect_error;
using asio::use_awaitable;

void Window::merge(const Window& other) {
  tally.merge(other.tally);
  latency.merge(other.latency);
  cold_starts.merge(other.cold_starts);
  for (const auto& [name, n] : other.instances) add_instance(instances, name, n);
  keep_failures(failures, other.failures);
  keep_violations(violations, other.violations);
}

Worker::Worker(RunState& run, unsigned index, std::vector<unsigned> user_indices) : run_(run), index_(index) {
  if (run.config.open_loop()) schedule_ = OpenLoopSchedule(run.start, run.config.rate_profile(), run.config.threads, index);
  for (unsigned u : user_indices) users_.push_back(std::make_unique<VirtualUser>(*this, u));
}

Worker::~Worker() {
  request_stop();
  join();
}

void Worker::start() {
  thread_ = std::thread([this] {
    // A coroutine that throws is a bug in the generator: log it rather than lose it.
    auto report = [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log::error("virtual user failed", {{"error", ex.what()}});
      }
    };
    live_users_ = users_.size();
    for (auto& user : users_) asio::co_spawn(io_, user->run(), report);
    asio::co_spawn(io_, watchdog(), report);
    io_.run();
    finished_ = true;
    run_.notify();
  });
}

void Worker::request_stop() {
  asio::post(io_, [this] {
    stopping_ = true;
    for (auto& user : users_) user->abort();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

Window Worker::take() {
  Window fresh;
  std::lock_guard lock(mutex_);
  std::swap(fresh, window_);
  return fresh;
}

void Worker::user_done() {
  if (--live_users_ == 0) run_.notify();
}

asio::awaitable<void> Worker::watchdog() {
  // Timeouts are checked on a tick a tenth of the shortest timeout (5 to 50 ms), so a
  // timeout fires at most ~10 % late, for one timer per thread instead of one per request.
  const auto shortest = std::min(run_.config.connect_timeout, run_.config.response_timeout);
  const auto tick =
      std::clamp<std::chrono::milliseconds>(shortest / 10, std::chrono::milliseconds(5), std::chrono::milliseconds(50));
  asio::steady_timer timer(io_);
  while (live_users_ > 0 && !stopping_) {
    timer.expires_after(tick);
    boost::system::error_code ignored;
    co_await timer.async_wait(redirect_error(use_awaitable, ignored));
    const auto now = Clock::now();
    for (auto& user : users_) user->enforce_deadline(now);
  }
}

}  // namespace scalelab::load
