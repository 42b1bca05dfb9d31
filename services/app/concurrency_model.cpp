// See concurrency_model.hpp.
#include "services/app/concurrency_model.hpp"

#include <condition_variable>
#include <mutex>
#include <functional>
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
    try {
      std::thread([state = state_, busy = busy_, fn = std::move(fn)] {
        run_counted(fn, busy);
        std::lock_guard lock(state->mu);
        --state->live;
        state->changed.notify_all();
      }).detach();
    } catch (const std::system_error&) {
      // No thread to be had (the process's or the machine's limit): this connection
      // is closed unserved, as a full accept queue would drop it.
      std::lock_guard lock(state_->mu);
      --state_->live;
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
