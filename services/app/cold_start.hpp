// A simulated cold start, for the autoscaling lessons: before the app listens it can
// wait (a runtime loading from a slow disk or network: costs time, not CPU) and burn
// CPU (a JVM warming up, a model being loaded: costs CPU, so instances starting
// together on a few cores slow each other down, the cold-start stampede). Nothing
// listens meanwhile, so the balancer's connects are refused and the supervisor sees
// the instance as starting. A stop signal still ends it at once.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdint>

namespace scalelab::app {

// Burns `ms` of this thread's CPU time (the CPU-bound work of /api/work?cpu_ms=).
void burn_cpu(std::int64_t ms);

// Warm-up, after the instance listens: a runtime that has not compiled its hot paths yet
// or whose caches are cold answers slower at first. An API request that arrives
// `since_listening` after the start waits this long first: `extra` at the start,
// falling linearly to nothing at `warmup` (0 ms once past it, or when warmup is 0).
std::chrono::milliseconds warmup_penalty(std::chrono::milliseconds since_listening, std::chrono::milliseconds warmup,
                                         std::chrono::milliseconds extra);

// Waits `delay`, then burns `cpu` of CPU time. Returns false when one of `stop_signals`
// (blocked by the caller) arrived meanwhile: the process should exit.
bool simulate_cold_start(std::chrono::milliseconds delay, std::chrono::milliseconds cpu,
                         const sigset_t& stop_signals);

}  // namespace scalelab::app
