// See concurrency_model.hpp.
#include "services/app/concurrency_model.hpp"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "common/fiber_loop.hpp"

namespace scalelab::app {
namespace {

// Runs a connection, counted in `busy` while it runs.
void run_counted(const std::function<void()>& fn, prometheus::Gauge* busy) {
  if (busy != nullptr) busy->Increment();
  fn();
  if (busy != nullptr) busy->Decrement();
}

// At most `max` connections served at once: the accepting thread takes a place before
// it hands a connection on, waiting while none is free, and the connection gives its
// place back when it ends. Shared (a shared_ptr) with the connections, which may end
// after their queue is gone.
class ConnectionCap {
 public:
  explicit ConnectionCap(std::size_t max) : max_(max) {}
  void take() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return live_ < max_; });
    ++live_;
  }
  void give_back() {
    std::lock_guard lock(mu_);
    --live_;
    changed_.notify_all();
  }
  void wait_until_none() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return live_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;  // only threads wait on it (the accepting one, shutdown)
  std::size_t live_ = 0;
  const std::size_t max_;
};

// cpp-httplib's own pool, with the count kept.
class CountedPool : public httplib::ThreadPool {
 public:
  CountedPool(std::size_t workers, prometheus::Gauge* busy) : httplib::ThreadPool(workers), busy_(busy) {}
  void enqueue(std::function<void()> fn) override {
    httplib::ThreadPool::enqueue([fn = std::move(fn), busy = busy_] { run_counted(fn, busy); });
  }

 private:
  prometheus::Gauge* busy_;
};

// A thread per connection. The threads are detached and share one block of state, so
// the queue may be destroyed (after shutdown() has seen every thread end) while the
// last of them is still unwinding.
class ThreadPerConnection : public httplib::TaskQueue {
 public:
  ThreadPerConnection(std::size_t max_threads, prometheus::Gauge* busy)
      : cap_(std::make_shared<ConnectionCap>(max_threads)), busy_(busy) {}

  void enqueue(std::function<void()> fn) override {
    cap_->take();
    auto serve = [cap = cap_, busy = busy_](const std::function<void()>& connection) {
      run_counted(connection, busy);
      cap->give_back();
    };
    auto connection = std::make_shared<std::function<void()>>(std::move(fn));
    try {
      std::thread([serve, connection] { serve(*connection); }).detach();
    } catch (const std::system_error&) {
      // No thread to be had (the process's or the machine's limit, below the cap): the
      // accepting thread serves this connection itself, so it is neither dropped nor
      // leaked, and accepting pauses until it ends.
      serve(*connection);
    }
  }

  void shutdown() override { cap_->wait_until_none(); }

 private:
  std::shared_ptr<ConnectionCap> cap_;
  prometheus::Gauge* busy_;
};

// Fibers on event loops: cpp-httplib's accepting thread deals connections round-robin
// to the loops, and each connection is served on a fiber of its loop. Each loop runs
// on `threads_per_loop` threads (more than one: the fibers model).
class EventLoops : public httplib::TaskQueue {
 public:
  EventLoops(std::size_t loops, std::size_t threads_per_loop, std::size_t max_fibers, prometheus::Gauge* busy)
      : cap_(std::make_shared<ConnectionCap>(max_fibers)), busy_(busy) {
    for (std::size_t i = 0; i < loops; ++i) {
      loops_.push_back(std::make_unique<fiber::EventLoop>(threads_per_loop));
      loops_.back()->start();
    }
  }
  ~EventLoops() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    // At the cap, accepting waits (as thread-per-connection's does) for a connection to end.
    cap_->take();
    fiber::EventLoop& loop = *loops_[next_++ % loops_.size()];
    loop.spawn([fn = std::move(fn), busy = busy_, cap = cap_] {
      run_counted(fn, busy);
      cap->give_back();  // a std::mutex held for no wait: fine on a fiber
    });
  }

  // cpp-httplib calls it once the listener closed: every connection notices within
  // the gate's stop check (50 ms) and ends.
  void shutdown() override {
    if (stopped_) return;
    while (live() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (auto& loop : loops_) loop->stop();
    stopped_ = true;
  }

 private:
  std::size_t live() const {
    std::size_t n = 0;
    for (const auto& loop : loops_) n += loop->live();
    return n;
  }

  std::shared_ptr<ConnectionCap> cap_;
  std::vector<std::unique_ptr<fiber::EventLoop>> loops_;
  std::size_t next_ = 0;  // only the accepting thread deals
  prometheus::Gauge* busy_;
  bool stopped_ = false;
};

}  // namespace

std::string_view to_string(ConcurrencyModel model) {
  return kConcurrencyModelNames[static_cast<std::size_t>(model)];
}

ConcurrencyModel parse_concurrency_model(std::string_view name) {
  if (name == "pool") return ConcurrencyModel::pool;
  if (name == "thread-per-connection") return ConcurrencyModel::thread_per_connection;
  if (name == "event-loop") return ConcurrencyModel::event_loop;
  if (name == "event-loops") return ConcurrencyModel::event_loops;
  if (name == "fibers") return ConcurrencyModel::fibers;
  throw std::invalid_argument("unknown concurrency model '" + std::string(name) + "'");
}

std::size_t loops_for(std::size_t loops) {
  return loops > 0 ? loops : std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

httplib::TaskQueue* make_task_queue(const ModelSettings& settings, prometheus::Gauge* busy) {
  switch (settings.model) {
    case ConcurrencyModel::pool: return new CountedPool(settings.workers, busy);
    case ConcurrencyModel::thread_per_connection: return new ThreadPerConnection(settings.max_threads, busy);
    case ConcurrencyModel::event_loop: return new EventLoops(1, 1, settings.max_threads, busy);
    case ConcurrencyModel::event_loops: return new EventLoops(loops_for(settings.loops), 1, settings.max_threads, busy);
    case ConcurrencyModel::fibers: return new EventLoops(1, loops_for(settings.loops), settings.max_threads, busy);
  }
  return new CountedPool(settings.workers, busy);
}

}  // namespace scalelab::app
