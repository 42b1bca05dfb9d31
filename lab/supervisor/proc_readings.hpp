// What Linux's /proc says of a process and of the machine: a process's CPU time (the
// autoscaler's cpu metric), its memory and threads (what a concurrency model costs),
// and the whole machine's CPU time, for an experiment's samples (how busy the cores
// were while the load ran, which says when the CPU rather than the lab's own limits
// held a run back).
#pragma once

#include <optional>

namespace scalelab::lab {

// CPU seconds (user + system) that process `pid` has used, or nullopt if unreadable.
std::optional<double> process_cpu_seconds(int pid);

// A process's resident memory and thread count now, or nullopt if unreadable.
struct ProcessFootprint {
  double rss_bytes = 0;
  int threads = 0;
};
std::optional<ProcessFootprint> process_footprint(int pid);

// The machine's CPU time since boot, summed over all cores, in seconds: the time spent
// busy (everything but idle and waiting for I/O) and the total.
struct MachineCpu {
  double busy_s = 0, total_s = 0;
};
std::optional<MachineCpu> machine_cpu();

// The busy share of all cores between two readings (0 to 1); nullopt when no time passed.
std::optional<double> busy_share(const MachineCpu& before, const MachineCpu& after);

}  // namespace scalelab::lab
