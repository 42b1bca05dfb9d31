// The open-loop model's arithmetic, on its own so that it can be tested. In open loop
// the generator promises a request rate, not a number of users: request k has an
// intended send time fixed in advance, and its latency is measured from that time, not
// from when a busy user finally got round to sending it. A stall therefore shows up in
// the percentiles instead of silently lowering the rate (coordinated omission, as wrk2
// avoids it).
//
// The rate may change over the run, in stages, as k6's ramping-arrival-rate executor
// does: it starts at a start rate and moves linearly to each stage's target over the
// stage's duration, then holds the last target. The schedule numbers every request of
// the run: request n is due when the rate's integral reaches n.
//
// With T threads sharing the schedule, thread i owns the global slots i, i+T, i+2T, ...;
// at a constant rate R its k-th slot is due at start + (k*T + i) / R. Together the
// threads send the schedule's requests interleaved, with no coordination between them.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace scalelab::load {

// One stage of a ramp: over `duration`, the rate moves linearly to `target` per second.
struct RateStage {
  std::chrono::milliseconds duration{0};
  double target = 0;
  bool operator==(const RateStage&) const = default;
};

// A request rate over time: `start_rate`, then each stage in turn, then the last
// stage's target for ever (the start rate with no stages: a constant rate).
class RateProfile {
 public:
  RateProfile() = default;
  // Requires rates >= 0 and durations > 0 (load_config.hpp's validate checks them).
  RateProfile(double start_rate, std::vector<RateStage> stages);

  // The rate at `t` seconds from the start.
  double rate_at(double t) const;
  // Requests the schedule holds by `t` seconds: the rate's integral from 0 to t.
  double arrivals_by(double t) const;
  // When request `n` (from 0) is due, in seconds: the first t with arrivals_by(t) >= n,
  // or a negative number when the rate never gets there (it ends at 0).
  double time_of(double n) const;

 private:
  struct Segment {
    double begin = 0, length = 0;  // seconds
    double from = 0, to = 0;       // rates at its ends
    double arrivals_before = 0;    // arrivals_by(begin)
  };
  std::vector<Segment> segments_;  // the stages, in order
  double start_rate_ = 1.0;
};

class OpenLoopSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  OpenLoopSchedule() = default;
  // Requires rate > 0, threads >= 1, thread_index < threads.
  OpenLoopSchedule(Clock::time_point start, double rate, unsigned threads, unsigned thread_index)
      : OpenLoopSchedule(start, RateProfile(rate, {}), threads, thread_index) {}
  OpenLoopSchedule(Clock::time_point start, RateProfile profile, unsigned threads, unsigned thread_index)
      : start_(start), profile_(std::move(profile)), threads_(threads), index_(thread_index) {}

  // The intended send time of this thread's k-th request (k from 0); a year away when
  // the rate never reaches it (the run ends first).
  Clock::time_point intended(std::uint64_t k) const {
    const double seconds = profile_.time_of(static_cast<double>(k) * threads_ + index_);
    if (seconds < 0) return start_ + std::chrono::hours(24 * 365);
    return start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  // How many of this thread's requests are due by `now` (slots with intended <= now).
  std::uint64_t due_by(Clock::time_point now) const {
    if (now < start_) return 0;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double slots = (profile_.arrivals_by(elapsed) - index_) / threads_;
    // The slack covers intended() rounding its time down to the clock's nanoseconds.
    return slots < -1e-6 ? 0 : static_cast<std::uint64_t>(slots + 1e-6) + 1;
  }

 private:
  Clock::time_point start_{};
  RateProfile profile_;
  unsigned threads_ = 1;
  unsigned index_ = 0;
};

}  // namespace scalelab::load
