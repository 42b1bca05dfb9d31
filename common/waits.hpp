// Where scalelab code waits: for a socket, for time, for a condition, for a blocking
// library call. On a plain thread each of these blocks the thread, as poll(2),
// std::this_thread::sleep_for and std::condition_variable do. On a fiber of an event
// loop (fiber_loop.hpp), each parks the fiber and lets the loop serve the others.
//
// This is how blocking and non-blocking callers share one implementation of the route
// handlers and the store clients: the code is written once, in blocking style, and
// only its waits change with the concurrency model. Code that waits any other way (a
// blocking recv on a socket that is not ready, a std::condition_variable) stalls a
// whole event loop, so the store clients wait only through here.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>

#include <sys/types.h>

namespace scalelab::fiber {
class Fiber;
}

namespace scalelab::waits {

// True when the caller runs on a fiber: its waits park the fiber, not the thread.
bool on_fiber();

// errno, as the thread the caller runs on now has it. A fiber on a loop of several
// threads may wake on another thread than it parked on, and glibc declares errno's
// address a function of nothing, so the compiler may compute it once before a wait
// and read the first thread's errno after it. Code that reads errno in a function
// that also waits reads it through this.
int last_errno();

// Waits until `fd` is ready for `events` (POLLIN, POLLOUT or both), like poll(2) on
// one descriptor: returns the ready events, 0 when `timeout` passed first, -1 on error
// (errno set). On a fiber, a hang-up or error shows as the events asked for; the
// caller's next read or write meets it.
int wait_fd(int fd, short events, std::chrono::microseconds timeout);

// A descriptor one owner waits on again and again (a connection's socket). wait()
// gives wait_fd's results; on a fiber, the descriptor is registered with the loop's
// reactor at the first wait and stays registered until release() or destruction,
// instead of once per wait as wait_fd does (two epoll_ctl calls and more a wait).
// Contract: one fiber waits on it at a time, and it is released (release(), or
// destroyed; on any thread) before its owner closes the descriptor. A fiber of another
// loop waits as wait_fd does; if the loop ends first, it releases the registration
// itself, and a later wait registers with the waiter's loop.
class Watch {
 public:
  explicit Watch(int fd);
  ~Watch();
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  // What the caller knows of the descriptor: `unknown` has wait() ask poll(2) first,
  // without waiting, and return at once if it is ready; `not_ready` (a read or write
  // just found it so, or a request just went out whose answer cannot be back yet) goes
  // straight to waiting, a system call fewer.
  enum class Known { unknown, not_ready };
  int wait(short events, std::chrono::microseconds timeout, Known known = Known::unknown);
  // Reads at most `size` bytes into `buf`, waiting up to `timeout` for some to come, as
  // recv(2) on a socket with a receive timeout: the bytes read, 0 at the peer's end of
  // input, -1 with errno set (ETIMEDOUT when the timeout passed first). On a fiber the
  // loop's reactor does the read when the socket becomes readable: no poll(2) and no
  // re-arming of the registration (Asio tries one read at once, which often finds
  // nothing yet: two reads a wait, where wait() then recv(2) cost a poll, a re-arm and
  // a read). `known` as for wait(); on a fiber Asio decides, and it is not used.
  ssize_t read(void* buf, std::size_t size, std::chrono::microseconds timeout, Known known = Known::unknown);
  // Deregisters the descriptor now (idempotent); later waits register it again.
  void release();

 private:
  struct Registration;
  // The registration with the calling fiber's loop, made if there is none; nullptr when
  // the descriptor is registered with another loop still running (errno unset), or the
  // registration failed (errno set).
  Registration* registration_on(fiber::Fiber* self);

  int fd_;
  std::unique_ptr<Registration> registration_;
};

void sleep_for(std::chrono::nanoseconds duration);

struct Ticket;

// A condition variable that parks fibers and blocks threads. The same contract as
// std::condition_variable: wait releases `lock` while waiting and holds it again on
// return, and may return early (re-check the predicate).
class Condition {
 public:
  Condition() = default;
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  void wait(std::unique_lock<std::mutex>& lock);
  std::cv_status wait_until(std::unique_lock<std::mutex>& lock, std::chrono::steady_clock::time_point deadline);
  void notify_one();
  void notify_all();

 private:
  std::cv_status park(std::unique_lock<std::mutex>& lock, std::optional<std::chrono::steady_clock::time_point> deadline);

  std::condition_variable threads_;
  std::mutex parked_mu_;
  std::deque<std::shared_ptr<Ticket>> parked_;
};

namespace detail {
// Runs `job` on a small pool of threads kept for blocking calls and parks the calling
// fiber until it is done; rethrows what it threw.
void offload(const std::function<void()>& job);
std::size_t new_local_key();
void* fiber_local(std::size_t key, void* (*make)(), void (*destroy)(void*));
}  // namespace detail

// Runs `call` as it is on a thread. On a fiber, runs it on a pool thread kept for
// calls that can only block (a library with no non-blocking mode), and parks the fiber
// until it returns, as Node runs file I/O on libuv's pool.
template <class Call>
auto run_blocking(Call&& call) -> decltype(call()) {
  if (!on_fiber()) return call();
  using Result = decltype(call());
  if constexpr (std::is_void_v<Result>) {
    detail::offload([&] { call(); });
  } else {
    std::optional<Result> result;
    detail::offload([&] { result.emplace(call()); });
    return std::move(*result);
  }
}

// The caller's own T: one per fiber on a fiber, one per thread on a thread. For state
// that lives as long as one request is served (many requests share a loop's thread).
template <class T>
T& task_local() {
  static const std::size_t key = detail::new_local_key();
  if (on_fiber())
    return *static_cast<T*>(detail::fiber_local(
        key, []() -> void* { return new T(); }, [](void* value) { delete static_cast<T*>(value); }));
  thread_local T value;
  return value;
}

}  // namespace scalelab::waits
