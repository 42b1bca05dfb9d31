// The open-loop model's arithmetic, on its own so that it can be tested. In open loop
// the generator promises a request rate, not a number of users: request k has an
// intended send time fixed in advance, and its latency is measured from that time, not
// from when a busy user finally got round to sending it. A stall therefore shows up in
// the percentiles instead of silently lowering the rate (coordinated omission, as wrk2
// avoids it).
//
// With T threads sharing a rate R, thread i owns the global slots i, i+T, i+2T, ...:
// its k-th slot is due at start + (k*T + i) / R. Together the threads send one request
// every 1/R seconds, interleaved, with no coordination between them.
#pragma once

#include <chrono>
#include <cstdint>

namespace scalelab::load {

class OpenLoopSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  OpenLoopSchedule() = default;
  // Requires rate > 0, threads >= 1, thread_index < threads.
  OpenLoopSchedule(Clock::time_point start, double rate, unsigned threads, unsigned thread_index)
      : start_(start), rate_(rate), threads_(threads), index_(thread_index) {}

  // The intended send time of this thread's k-th request (k from 0).
  Clock::time_point intended(std::uint64_t k) const {
    const double seconds = (static_cast<double>(k) * threads_ + index_) / rate_;
    return start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  // How many of this thread's requests are due by `now` (slots with intended <= now).
  std::uint64_t due_by(Clock::time_point now) const {
    if (now < start_) return 0;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double slots = (elapsed * rate_ - index_) / threads_;
    return slots < 0 ? 0 : static_cast<std::uint64_t>(slots) + 1;
  }

 private:
  Clock::time_point start_{};
  double rate_ = 1.0;
  unsigned threads_ = 1;
  unsigned index_ = 0;
};

}  // namespace scalelab::load
