// Fibers on event loops: the runtime of the app's event-loop concurrency models.
//
// An EventLoop is an Asio io_context run by one thread, or by several (the fibers
// model: M fibers on N threads, as Go runs goroutines). A fiber is a function with
// a small stack of its own that runs on one loop; where it would block (a socket not
// ready, a sleep, a condition not met), it parks and the loop runs another fiber
// until the thing it waits for is ready. So code written in blocking style (cpp-httplib's
// request parsing, the route handlers, the Redis and PostgreSQL clients) serves
// thousands of connections on one thread without a thread for each. Only the few
// places that wait know about it: they go through common/waits.hpp, which parks the
// current fiber instead of blocking the thread, and blocks as before elsewhere.
//
// Contracts:
//  - a fiber runs on one thread at a time. On a loop of one thread it stays there from
//    start to end; on a loop of several it may wake on another thread after any wait.
//    Either way what only it touches needs no lock, but a thread_local whose address
//    was taken before a wait may be another thread's after it (errno: read it through
//    waits::last_errno());
//  - each fiber has its own exception-handling state (the C++ runtime keeps one per
//    thread), so a fiber may wait inside a catch block while others throw and catch;
//  - a fiber never holds a std::mutex across a wait: another fiber on the same thread
//    would try to take it and stall the loop, and on a loop of several threads the
//    fiber could unlock it from another thread than locked it. Every wait in waits.hpp
//    takes the lock it must release as an argument;
//  - a CPU-bound stretch on a fiber holds up its thread: on a loop of one thread,
//    every other fiber of the loop. That is the event loop's trade, not a bug (the
//    concurrency lesson measures it).
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/asio.hpp"

namespace scalelab::fiber {

class EventLoop;

// Fiber stacks are mapped, not allocated: a page costs memory only once touched, so a
// fiber's resident size is what its deepest call used, as a thread's is. The size is a
// thread's default (8 MiB), because the same code runs on both: cpp-httplib matches a
// Range header with libstdc++'s std::regex, which recurses once per character, and an
// 8 KiB header line (the gate's limit) needs more than 1 MiB of stack
// (tests/common/fiber_loop_test.cpp). A guard page below turns an overflow into a
// crash instead of silent corruption.
inline constexpr std::size_t kStackBytes = 8 * 1024 * 1024;

class Fiber {
 public:
  Fiber(EventLoop& loop, std::function<void()> body);
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  EventLoop& loop() const { return loop_; }

  // For waits.hpp. park() suspends the calling fiber (it must be current) and returns
  // once something calls wake() on it. wake() is called once per park, by a thread of
  // the fiber's loop from outside any fiber, and may come before the fiber has finished
  // parking (another thread of the loop saw its socket ready at once): the fiber then
  // runs on as soon as it is parked.
  void park();
  void wake();

  // The fiber's slot `key`, made with `make` on first use and destroyed with the fiber.
  void* local(std::size_t key, void* (*make)(), void (*destroy)(void*));

 private:
  friend class EventLoop;
  // Runs the fiber on the calling thread until it parks or ends, then hands it over:
  // parked (a wake may now run it anywhere), run again (a wake came while it parked),
  // or deleted (ended).
  void resume();

  struct Impl;
  EventLoop& loop_;
  std::unique_ptr<Impl> impl_;
  struct Local {
    void* value;
    void (*destroy)(void*);
  };
  std::vector<Local> locals_;
};

// The fiber running on this thread now; nullptr on a plain thread, or on a loop's
// thread between fibers.
Fiber* current();

class EventLoop {
 public:
  // A loop run by `threads` threads (at least 1).
  explicit EventLoop(std::size_t threads = 1);
  ~EventLoop();  // stops the loop; call it once live() is 0 (a fiber still parked is abandoned)
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs the loop on threads of its own.
  void start();
  std::size_t threads() const { return thread_count_; }
  // Runs `body` on a new fiber of this loop. Any thread may call it.
  void spawn(std::function<void()> body);
  // Fibers spawned and not yet ended.
  std::size_t live() const { return live_.load(); }
  // Stops the loop and joins its threads.
  void stop();

  boost::asio::io_context& io() { return io_; }

  // What holds on to the loop's reactor beyond one wait (a waits::Watch of a store's
  // connection, which may outlive the loop) signs up here. It takes `mu` and checks
  // `alive` before touching the loop; the loop's destructor, under `mu`, calls every
  // `on_end` (still on a live reactor) and sets `alive` to false.
  struct Lifetime {
    std::mutex mu;
    bool alive = true;
    std::unordered_map<const void*, std::function<void()>> on_end;
  };
  const std::shared_ptr<Lifetime>& lifetime() const { return lifetime_; }

 private:
  friend class Fiber;
  void ended(Fiber* fiber);

  const std::size_t thread_count_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> live_{0};
  std::shared_ptr<Lifetime> lifetime_ = std::make_shared<Lifetime>();
};

}  // namespace scalelab::fiber
