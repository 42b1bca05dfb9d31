// Timeouts for the proxy, without a timer operation per I/O. Every connection
// needs a deadline for each phase (idle, header, connect, response, write), and moving
// an Asio timer for each costs a heap update and often a timerfd syscall, which shows
// at 70k requests a second. Instead each connection owns a Deadline (a time and an
// action), setting it is a store, and one scanner per event loop walks the registered
// deadlines every tick and fires the expired ones. Resolution is one tick (20 ms).
// Single-threaded: a Deadline belongs to the event loop of its scanner.
#pragma once

#include <boost/intrusive/list.hpp>
#include <chrono>
#include <functional>

#include "common/asio.hpp"

namespace scalelab::balancer {

class DeadlineScanner;

class Deadline : public boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  using Clock = std::chrono::steady_clock;

  // `on_expire` runs on the scanner's event loop when the deadline passes; it should
  // cancel or close whatever the owner is waiting on. It fires once per arming.
  Deadline(DeadlineScanner& scanner, std::function<void()> on_expire);
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  void expires_after(std::chrono::milliseconds d) { at_ = Clock::now() + d; }
  void expires_at(Clock::time_point t) { at_ = t; }
  void clear() { at_ = Clock::time_point::max(); }
  Clock::time_point at() const { return at_; }

 private:
  friend class DeadlineScanner;
  Clock::time_point at_ = Clock::time_point::max();
  std::function<void()> on_expire_;
};

class DeadlineScanner {
 public:
  static constexpr std::chrono::milliseconds kTick{20};

  explicit DeadlineScanner(boost::asio::any_io_executor executor);
  // Starts the scanning loop on the executor; it ends when stop() is called.
  void start();
  void stop();
  std::size_t size() const { return deadlines_.size(); }

 private:
  friend class Deadline;
  boost::asio::awaitable<void> loop();

  boost::asio::steady_timer timer_;
  bool stopped_ = false;
  boost::intrusive::list<Deadline, boost::intrusive::constant_time_size<false>> deadlines_;
};

}  // namespace scalelab::balancer
