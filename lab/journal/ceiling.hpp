// The most a run could serve, from its own configuration, and how close it came.
//
// Little's law: a system that holds at most N requests at once, each for at least S
// seconds, completes at most N / S of them a second. In the lab N is the smallest of
// the load's virtual users (a closed loop) and the ready instances times what one
// instance serves at once (its workers, or the balancer's connections to it, whichever
// is fewer). CPU work is capped by the cores as well: at most cores / (CPU seconds per
// request), however many instances share them, and by the threads that run handlers
// when an instance has fewer of them than there are cores (an event loop has one: it
// can use one core, as Amdahl's law says of a serial part). An open-loop run cannot exceed the
// rate it offers. The ceiling is the smallest of these; its bound says which.
//
// Only a run whose every request has a known service time has a ceiling: the `work`
// scenario alone (io_ms of waiting, then cpu_ms of burning). Other mixes do not say
// how long a request must take, so their runs have none.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace scalelab::journal {

struct Journal;

// What bounds a run's throughput, as the runner read it from the run's configuration.
struct Capacity {
  double io_s = 0;                  // one request's wait
  double cpu_s = 0;                 // the CPU one request burns
  std::optional<double> users;      // closed loop: the virtual users
  double slots_per_instance = 0;    // requests one instance serves at once
  std::string slots_reason;         // what sets them: "32 workers", "24 balancer connections"
  double cores = 0;                 // the machine's
  // Threads of an instance that run handlers, when that caps its CPU (an event loop's
  // one); nullopt when its threads are not the limit (a pool, a thread per connection).
  std::optional<double> cpu_threads_per_instance;
  double service_s() const { return io_s + cpu_s; }
  // What a request does: "io" (it only waits), "cpu" (it only burns) or "mix" (both).
  std::string work() const { return cpu_s <= 0 ? "io" : io_s > 0 ? "mix" : "cpu"; }
  // The cores `instances` instances can keep busy: the machine's, or their handler
  // threads when those are fewer.
  double usable_cores(double instances) const;
};

// One second's ceiling, what sets it ("users", "instances", "cores" or "offered load"),
// and the ready instances it was computed for.
struct Ceiling {
  double rps = 0;
  std::string bound;
  double instances = 0;
};

// The ceiling with `instances` ready, and `offered_rps` for an open-loop run. Nullopt
// when nothing bounds it (no service time and no offered rate).
std::optional<Ceiling> ceiling_at(const Capacity& c, double instances, std::optional<double> offered_rps = std::nullopt);

// The ceiling's arithmetic in words: "4 instances x 6 balancer connections / 50 ms =
// 480 requests/s".
std::string explain(const Capacity& c, const Ceiling& ceiling);

// A stretch of a run with one instance count, its first seconds after a change left
// out so the new count has settled, with what it served against its ceiling.
struct CeilingPhase {
  double from_s = 0, to_s = 0;
  Ceiling ceiling;                 // its mean over the phase (an open-loop ramp moves it)
  double measured_rps = 0;         // requests served (not failed) per second
  double efficiency = 0;           // measured / ceiling
  std::optional<double> cpu_busy;  // the machine's CPU, mean share of all cores
  double p50_ms = 0;               // the mean of the seconds' median latencies
  // What held the run back: the ceiling's bound when the run came within 20 % of it;
  // otherwise the resource its samples point at: "cpu" (the machine's cores were
  // busy), "queueing" (requests waited well beyond their work) or "client" (neither:
  // the load generator or the path to the lab).
  std::string limited_by;
  std::string why;                 // the numbers behind limited_by, in words
};

// Throughput against the ceiling over some seconds, those without a ceiling left out:
// the mean requests served per second (failed ones left out) and the mean ceiling
// (both 0 when no second has one).
struct Sample;
struct Efficiency {
  double measured_rps = 0, ceiling_rps = 0;
  std::size_t seconds = 0;
  double ratio() const { return ceiling_rps > 0 ? measured_rps / ceiling_rps : 0; }
};
Efficiency efficiency_over(const std::vector<const Sample*>& seconds);

// The run's phases; empty when it has no capacity or no sample carries a ceiling.
std::vector<CeilingPhase> ceiling_phases(const Journal& run);

nlohmann::json to_json(const Capacity& c);
nlohmann::json to_json(const Ceiling& c);
// Throws std::invalid_argument naming `path` when a field has the wrong type.
Capacity parse_capacity(const nlohmann::json& j, const std::string& path);
Ceiling parse_ceiling(const nlohmann::json& j, const std::string& path);

}  // namespace scalelab::journal
