// A Worker is one thread of a load run. Each worker owns an io_context, the virtual
// users assigned to it, a watchdog that enforces their timeouts, and the counters they
// fill. The sampler thread takes those counters once a second under a mutex that nobody
// else contends for, so recording stays cheap and the per-second figures are exact.
// Internal to the engine (engine.cpp) and the virtual users.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/asio.hpp"
#include "lab/load/histogram.hpp"
#include "lab/load/load_config.hpp"
#include "lab/load/results.hpp"
#include "lab/load/schedule.hpp"
#include "lab/load/stock_audit.hpp"
#include "lab/load/tally.hpp"

namespace scalelab::load {

class VirtualUser;

// What every worker of one run shares. Read-only once the run starts, but for the
// atomics and the finish notification.
struct RunState {
  using Clock = std::chrono::steady_clock;
  LoadConfig config;
  Target target;
  boost::asio::ip::tcp::endpoint endpoint;
  std::string head_prefix;  // " HTTP/1.1\r\nHost: ...\r\nUser-Agent: ...\r\n"
  std::vector<MixEntry> mix;
  std::string user_prefix;
  std::uint64_t seed = 0;
  Clock::time_point start;
  std::atomic<std::uint64_t> issued{0};  // requests started, against max_requests
  StockLedger sold;                      // filled by the checkout scenario

  std::mutex mutex;              // guards nothing but the wake-up below
  std::condition_variable wake;  // a worker finished, or a stop was requested
  void notify() {
    { std::lock_guard lock(mutex); }
    wake.notify_all();
  }
  bool request_bound_reached() const {
    return config.max_requests != 0 && issued.load(std::memory_order_relaxed) >= config.max_requests;
  }
};

// What one worker accumulated since the last take().
struct Window {
  Tally tally;
  Histogram latency;
  Histogram cold_starts;  // the balancer's X-Scalelab-Cold-Start-Ms, in nanoseconds like latency
  InstanceCounts instances;
  std::vector<FailedRequest> failures;  // at most kFailuresKept
  std::vector<FailedRequest> violations;  // at most kViolationsKeptPerKind of each kind
  void merge(const Window& other);
};

class Worker {
 public:
  using Clock = std::chrono::steady_clock;

  Worker(RunState& run, unsigned index, std::vector<unsigned> user_indices);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();         // starts the thread
  void request_stop();  // thread-safe: aborts every user; the thread then ends
  void join();
  bool finished() const { return finished_.load(); }
  Window take();  // thread-safe: what was recorded since the last take

  // For the virtual users, on this worker's thread.
  template <class F>
  void record(F&& f) {
    std::lock_guard lock(mutex_);
    f(window_);
  }
  boost::asio::io_context& io() { return io_; }
  RunState& run() { return run_; }
  bool stopping() const { return stopping_; }
  Clock::time_point next_intended() { return schedule_.intended(next_slot_++); }

 private:
  boost::asio::awaitable<void> watchdog();
  void user_done();
  friend class VirtualUser;

  RunState& run_;
  unsigned index_;
  boost::asio::io_context io_{1};
  std::vector<std::unique_ptr<VirtualUser>> users_;
  std::size_t live_users_ = 0;
  bool stopping_ = false;
  OpenLoopSchedule schedule_;
  std::uint64_t next_slot_ = 0;
  std::mutex mutex_;
  Window window_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
};

}  // namespace scalelab::load
