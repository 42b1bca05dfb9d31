// Keep-alive connections to the backends, with a cap per backend. The cap is the point:
// the app is a worker pool (cpp-httplib), where every open connection, even an idle
// one, pins one of its workers, so the balancer must hold fewer connections than the
// app has workers. One pool per event loop; the configured per-backend cap is split
// across loops, so no cross-thread coordination is needed and the total never exceeds
// the cap.
//
// Contract: acquire() returns a live idle connection, or a slot with an unconnected
// socket that the caller connects (and releases unusable if that fails). At the cap it
// queues, FIFO, up to the queue timeout, then reports `busy` (the caller answers 503).
// Every lease goes back through release(); a kept connection goes to the first waiter
// or to the idle list. Idle connections expire after the upstream idle timeout, and
// those of a draining backend are closed at the next sweep.
//
// A connection is only as trustworthy as its framing. The caller keeps one only when
// the response ended exactly where its framing said and nothing was read past it; and
// an idle connection is probed before every reuse, so bytes a backend sent after its
// response (an over-run, a second response) close it instead of becoming the next
// client's answer. Every close is counted with its reason.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "balancer/backend.hpp"
#include "balancer/connection_release.hpp"
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
  // backend at its cap, wait_for_slot(). The first part is not a coroutine, so the
  // usual case (an idle connection) costs no coroutine frame.
  Lease try_acquire(const std::shared_ptr<Backend>& backend);
  // Queues for a slot; `queue_timeout` 0 means: do not wait. Call right after
  // try_acquire() came back empty.
  boost::asio::awaitable<Lease> wait_for_slot(std::shared_ptr<Backend> backend,
                                              std::chrono::milliseconds queue_timeout);

  // Returns a lease: keep it (Release::keep, only for a connection whose last response
  // ended cleanly), or close it for the reason given.
  void release(std::unique_ptr<UpstreamConnection> conn, Release how);

  // Closes idle connections that have expired or whose backend is draining, and
  // forgets backends that left. Called periodically by the event loop.
  void sweep();
  // Closes every idle connection (shutdown).
  void close_idle();

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
  // Release::keep when an idle connection shows nothing to read, else why it must go.
  static Release probe_idle(UpstreamConnection& conn);
  void close_conn(Entry& e, std::unique_ptr<UpstreamConnection> conn, Release why);

  boost::asio::any_io_executor executor_;
  const int cap_;
  const std::chrono::milliseconds idle_timeout_;
  std::map<const Backend*, Entry> entries_;
};

}  // namespace scalelab::balancer
