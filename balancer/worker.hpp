// A Worker is one of the balancer's event loops: a thread running one io_context.
// Everything a proxy session touches on the request path lives here, one copy per loop,
// so the hot path takes no lock: the upstream pool, the balancing cursor, the deadline
// scanner, the access-log buffer, the request-id generator and a cached snapshot of the
// backend list. What all loops share (settings, registry, metrics, retry budget) is in
// Shared.
#pragma once

#include <algorithm>
#include <atomic>
#include <boost/intrusive/list.hpp>
#include <memory>
#include <vector>

#include "balancer/access_log.hpp"
#include "balancer/activator.hpp"
#include "balancer/algorithms.hpp"
#include "balancer/balancer_metrics.hpp"
#include "balancer/deadline_scanner.hpp"
#include "balancer/registry.hpp"
#include "balancer/request_parser.hpp"
#include "balancer/retry_policy.hpp"
#include "balancer/settings.hpp"
#include "balancer/upstream_pool.hpp"
#include "balancer/write_batch.hpp"
#include "common/asio.hpp"

namespace scalelab::balancer {

struct Shared {
  Shared(const Settings& s, Registry& r, Metrics& m)
      : settings(s),
        registry(r),
        metrics(m),
        // One backend's worth of in-flight requests can always be retried at once
        // (retry_policy.hpp): a single instance dying never exhausts the budget.
        budget(s.retry_budget_ratio, std::max(s.retry_budget_min, s.max_conns_per_backend)),
        limits{s.max_header_bytes, s.max_body_bytes},
        activator(s, m) {}
  const Settings& settings;
  Registry& registry;
  Metrics& metrics;
  RetryBudget budget;
  RequestLimits limits;
  Activator activator;                // scale to zero: requests wait for a backend to start
  std::atomic<std::uint64_t> requests_received{0};  // every request read, all loops (the autoscaler's idle test)
  std::atomic<long> in_flight{0};     // requests being proxied, all loops
  std::atomic<long> sessions{0};      // open client connections, all loops
  std::atomic<bool> stopping{false};  // SIGTERM: finish what is in flight, take nothing new
  std::atomic<bool> panic{false};     // the last pick found no eligible backend

  // Logs the transitions into and out of panic mode once each.
  void note_panic(bool now_panicking);
};

class ProxySession;

// Sessions register here so shutdown can reach them.
class SessionHook
    : public boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  virtual ~SessionHook() = default;
  virtual void on_shutdown() = 0;  // close if idle between requests
  virtual void force_close() = 0;  // close now
};

class Worker {
  // First member, so it is destroyed last: sockets and timers below belong to it.
  boost::asio::io_context io_;

 public:
  Worker(Shared& shared, int index);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  boost::asio::io_context& io() { return io_; }

  // Starts the loop's own tasks (deadline scanner, housekeeping). Call before run().
  void start();
  // Runs a proxy session for `socket` (already on this loop's io_context).
  void spawn_session(boost::asio::ip::tcp::socket socket);

  // On this loop: closes idle sessions and lets busy ones finish their request.
  void begin_shutdown();
  // On this loop: closes every session.
  void force_close_sessions();
  // On this loop: stops the loop's own tasks so run() can return once all is closed.
  void stop_tasks();

  // The backend list, reloaded when the registry's version moved.
  const std::shared_ptr<const BackendList>& backends();

  // Scale to zero (activator.hpp): waits until some backend is active and eligible (or
  // checked at least once), or `deadline`, or shutdown. True when one is. One watcher per loop checks every 10 ms
  // and wakes every waiter of the loop at once, so a thousand waiters cost one check.
  boost::asio::awaitable<bool> wait_for_backend(std::chrono::steady_clock::time_point deadline);

  Shared& shared;
  DeadlineScanner scanner;
  WriteBatch writes;
  UpstreamPool pool;
  Picker picker;
  AccessLog access_log;
  boost::intrusive::list<SessionHook, boost::intrusive::constant_time_size<false>> sessions;

 private:
  boost::asio::awaitable<void> housekeeping();
  boost::asio::awaitable<void> watch_for_backend();
  bool has_backend_to_try();

  boost::asio::steady_timer housekeeping_timer_;
  bool tasks_stopped_ = false;
  std::uint64_t version_ = 0;
  std::shared_ptr<const BackendList> snapshot_;
  std::vector<boost::asio::steady_timer*> backend_waiters_;  // each timer set to its waiter's deadline
};

// The share of the per-backend connection cap that loop `index` of `threads` gets.
int pool_share(int cap, int threads, int index);

}  // namespace scalelab::balancer
