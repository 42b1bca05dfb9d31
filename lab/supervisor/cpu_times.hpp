// CPU time as Linux's /proc counts it: what one process used, for the autoscaler's cpu
// metric, and what the whole machine did, for an experiment's samples (how busy the
// cores were while the load ran, which says when the CPU rather than the lab's own
// limits held a run back).
#pragma once

#include <optional>

namespace scalelab::lab {

// CPU seconds (user + system) that process `pid` has used, or nullopt if unreadable.
std::optional<double> process_cpu_seconds(int pid);

// The machine's CPU time since boot, summed over all cores, in seconds: the time spent
// busy (everything but idle and waiting for I/O) and the total.
struct MachineCpu {
  double busy_s = 0, total_s = 0;
};
std::optional<MachineCpu> machine_cpu();

// The busy share of all cores between two readings (0 to 1); nullopt when no time passed.
std::optional<double> busy_share(const MachineCpu& before, const MachineCpu& after);

}  // namespace scalelab::lab
