// Scale to zero, the balancer's half (Knative's activator does the same job): a request
// that finds no backend at all, because the lab scaled to zero or its first instance is
// still starting, waits here instead of getting 503 at once. The activator tells the
// lab's supervisor (POST /activate on its control API, {"waiting": N}) and each waiting
// request goes on as soon as a backend is eligible; its response then carries
// X-Scalelab-Cold-Start-Ms, and the wait is observed in balancer_cold_start_seconds.
//
// The wait has two bounds: at most --activation-queue requests wait at once, each for at
// most --activation-timeout-ms; past either, the request gets 503 with Retry-After.
// The supervisor is asked at once when the first request starts waiting, again as soon
// as the number waiting has doubled since the last call (a burst may need several
// instances), and every second while requests still wait (a call may have been lost, or
// the instance started may have died). Without --activator nothing waits.
//
// Threading: enter() and leave() are called from any event loop (one atomic each); the
// calls to the supervisor run as one coroutine on the executor given to start().
#pragma once

#include <atomic>
#include <chrono>
#include <optional>

#include "balancer/balancer_metrics.hpp"
#include "balancer/settings.hpp"
#include "common/asio.hpp"

namespace scalelab::balancer {

class Activator {
 public:
  Activator(const Settings& settings, Metrics& metrics);

  // True when --activator is set: requests that find no backend wait.
  bool enabled() const { return settings_.activator_address.has_value(); }

  // Starts the task calling the supervisor at `supervisor`. Call once, when enabled().
  void start(boost::asio::any_io_executor executor, boost::asio::ip::tcp::endpoint supervisor);
  // Ends that task (shutdown).
  void stop();

  // A request starts waiting. False, and nothing changed, when the queue is full.
  bool enter();
  // A request that entered stops waiting (a backend came, it timed out, or shutdown).
  void leave() { waiting_.fetch_sub(1, std::memory_order_relaxed); }
  long waiting() const { return waiting_.load(std::memory_order_relaxed); }

 private:
  boost::asio::awaitable<void> call_loop();
  boost::asio::awaitable<bool> call_supervisor(long waiting);

  const Settings& settings_;
  Metrics& metrics_;
  std::atomic<long> waiting_{0};
  std::optional<boost::asio::any_io_executor> executor_;
  std::optional<boost::asio::steady_timer> tick_;
  boost::asio::ip::tcp::endpoint supervisor_;
  bool stopped_ = false;
};

}  // namespace scalelab::balancer
