// Why this file exists: keep-alive connections to the backends, capped per backend.
// The app is a worker pool (cpp-httplib): every open connection, even idle, pins one of
// its workers, so the balancer must hold fewer connections than the app has workers.
// One pool per event loop; the configured per-backend cap is split across loops, so
// no cross-thread coordination is needed and the total never exceeds the cap.
//
// Contract: acquire() returns a live idle connection, or a slot with an unconnected
// socket that the caller connects (and releases unusable if that fails). At the cap it
// queues, FIFO, up to the queue timeout, then reports `busy` (the caller answers 503).
// Every lease goes back through release(); a reusable connection goes to the first
// waiter or to the idle list. Idle connections expire after the upstream idle timeout,
// and those of a draining backend are closed at the next sweep.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "balancer/backend.hpp"
#include "common/asio.hpp"

namespace scalelab::balancer {

struct UpstreamConnection {
  explicit UpstreamConnection(boost::asio::any_io_executor ex, std::shared_ptr<Backend> b)
      : socket(std::move(ex)), backend(std::move(b)) {}
  boost::asio::ip::tcp::socket socket;
  boost::beast::flat_buffer buffer;
  std::shared_ptr<Backend> backend;
  std::chrono::steady_clock::time_point idle_since{};
  std::uint64_t uses = 0;  // requests completed on it
};

class UpstreamPool {
 public:
  UpstreamPool(boost::asio::any_io_executor executor, int cap_per_backend, std::chrono::milliseconds idle_timeout);
  ~UpstreamPool();

  struct Lease {
    std::unique_ptr<UpstreamConnection> conn;  // null when busy
    bool reused = false;                       // true: already connected
  };

  // See the contract above; acquiring is try_acquire(), then, when that finds the
  // backend at its cap, wait_for_slot(). `check_fresh`: probe an idle connection for a
  // close by the backend before handing it out even when it was used a moment ago (the
  // caller cannot retry if it turns out stale). The first part is not a coroutine, so
  // the usual case (an idle connection) costs no coroutine frame.
  Lease try_acquire(const std::shared_ptr<Backend>& backend, bool check_fresh);
  // Queues for a slot; `queue_timeout` 0 means: do not wait. Call right after
  // try_acquire() came back empty.
  boost::asio::awaitable<Lease> wait_for_slot(std::shared_ptr<Backend> backend,
                                              std::chrono::milliseconds queue_timeout);

  // Returns a lease. `reusable`: the connection is clean and may serve another request.
  void release(std::unique_ptr<UpstreamConnection> conn, bool reusable);

  // Closes idle connections that have expired or whose backend is draining, and
  // forgets backends that left. Called periodically by the event loop.
  void sweep();
  // Closes every idle connection (shutdown).
  void close_idle();

  int cap() const { return cap_; }

 private:
  struct Waiter {
    explicit Waiter(boost::asio::any_io_executor ex) : timer(std::move(ex)) {}
    boost::asio::steady_timer timer;
    bool granted = false;
    std::unique_ptr<UpstreamConnection> handoff;
  };
  struct Entry {
    std::shared_ptr<Backend> backend;
    std::vector<std::unique_ptr<UpstreamConnection>> idle;  // most recent last
    int open = 0;                                           // slots in use, idle included
    std::deque<Waiter*> waiters;
  };

  Entry& entry(const std::shared_ptr<Backend>& backend);
  static bool still_alive(UpstreamConnection& conn);
  void close_conn(Entry& e, std::unique_ptr<UpstreamConnection> conn);

  boost::asio::any_io_executor executor_;
  const int cap_;
  const std::chrono::milliseconds idle_timeout_;
  std::map<const Backend*, Entry> entries_;
};

}  // namespace scalelab::balancer
