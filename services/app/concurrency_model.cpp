// See concurrency_model.hpp.
#include "services/app/concurrency_model.hpp"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

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

}  // namespace

std::string_view to_string(ConcurrencyModel model) {
  return kConcurrencyModelNames[static_cast<std::size_t>(model)];
}

ConcurrencyModel parse_concurrency_model(std::string_view name) {
  if (name == "pool") return ConcurrencyModel::pool;
  if (name == "thread-per-connection") return ConcurrencyModel::thread_per_connection;
  throw std::invalid_argument("unknown concurrency model '" + std::string(name) + "'");
}

httplib::TaskQueue* make_task_queue(ConcurrencyModel model, std::size_t workers, std::size_t max_threads,
                                    prometheus::Gauge* busy) {
  if (model == ConcurrencyModel::thread_per_connection) return new ThreadPerConnection(max_threads, busy);
  return new CountedPool(workers, busy);
}

}  // namespace scalelab::app
