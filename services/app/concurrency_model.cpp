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
      : state_(std::make_shared<State>()), max_threads_(max_threads), busy_(busy) {}

  void enqueue(std::function<void()> fn) override {
    {
      std::unique_lock lock(state_->mu);
      state_->changed.wait(lock, [&] { return state_->live < max_threads_; });
      ++state_->live;
    }
    auto serve = [state = state_, busy = busy_](const std::function<void()>& connection) {
      run_counted(connection, busy);
      std::lock_guard lock(state->mu);
      --state->live;
      state->changed.notify_all();
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

  void shutdown() override {
    std::unique_lock lock(state_->mu);
    state_->changed.wait(lock, [&] { return state_->live == 0; });
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable changed;
    std::size_t live = 0;
  };
  std::shared_ptr<State> state_;
  std::size_t max_threads_;
  prometheus::Gauge* busy_;
};

// Fibers on event loops: cpp-httplib's accepting thread deals connections round-robin
// to the loops, and each connection is served on a fiber of its loop.
class EventLoops : public httplib::TaskQueue {
 public:
  EventLoops(std::size_t loops, std::size_t max_fibers, prometheus::Gauge* busy) : max_fibers_(max_fibers), busy_(busy) {
    for (std::size_t i = 0; i < loops; ++i) {
      loops_.push_back(std::make_unique<fiber::EventLoop>());
      loops_.back()->start();
    }
  }
  ~EventLoops() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    // At the cap, accepting waits (as thread-per-connection's does) for a connection to end.
    while (live() >= max_fibers_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    fiber::EventLoop& loop = *loops_[next_++ % loops_.size()];
    loop.spawn([fn = std::move(fn), busy = busy_] { run_counted(fn, busy); });
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

  std::vector<std::unique_ptr<fiber::EventLoop>> loops_;
  std::size_t max_fibers_;
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
  throw std::invalid_argument("unknown concurrency model '" + std::string(name) + "'");
}

std::size_t loops_for(std::size_t loops) {
  return loops > 0 ? loops : std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

httplib::TaskQueue* make_task_queue(const ModelSettings& settings, prometheus::Gauge* busy) {
  switch (settings.model) {
    case ConcurrencyModel::pool: return new CountedPool(settings.workers, busy);
    case ConcurrencyModel::thread_per_connection: return new ThreadPerConnection(settings.max_threads, busy);
    case ConcurrencyModel::event_loop: return new EventLoops(1, settings.max_threads, busy);
    case ConcurrencyModel::event_loops: return new EventLoops(loops_for(settings.loops), settings.max_threads, busy);
  }
  return new CountedPool(settings.workers, busy);
}

}  // namespace scalelab::app
