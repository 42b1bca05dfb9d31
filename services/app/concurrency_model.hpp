// How an instance serves connections at once: its concurrency model
// (SCALELAB_APP_MODEL). Every model runs the same routes through the same handlers;
// only who runs a connection differs.
//
// - pool: a fixed set of worker threads (SCALELAB_WORKERS). A connection holds one for
//   as long as it stays open, and a request blocks its worker while it waits on Redis,
//   S3 or PostgreSQL, so an instance serves at most `workers` requests at once; the
//   rest wait in line.
// - thread-per-connection: a new OS thread for every connection, as classic
//   thread-per-request servers do, up to a safety cap (SCALELAB_MAX_THREADS). Waiting
//   costs nothing but a thread: the ceiling moves to memory (a stack per thread) and
//   the scheduler. At the cap, accepting waits for a thread to end.
// - event-loop: one thread running an event loop (common/fiber_loop.hpp). Every
//   connection is a fiber on it; where a request waits (its socket, Redis, PostgreSQL,
//   S3, a sleep), the fiber parks and the loop serves the others, so waiting costs a
//   fiber's touched stack, not a thread. A CPU-bound request holds up every other one.
// - event-loops: one such loop per core (SCALELAB_LOOPS), connections dealt round-robin,
//   so CPU-bound work uses every core. A connection stays on its loop: while one
//   request burns CPU there, the loop's other connections wait, even with a core idle.
// - fibers: M:N, as Go runs goroutines. One loop run by a thread per core
//   (SCALELAB_LOOPS); every connection is a fiber on it, and a fiber that waited
//   runs on whichever thread is free, so a burning request holds up only the thread it
//   burns on.
// The event-loop models and fibers serve at most SCALELAB_MAX_THREADS connections at
// once, as thread-per-connection does; then accepting waits.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <httplib.h>
#include <prometheus/gauge.h>

namespace scalelab::app {

enum class ConcurrencyModel { pool, thread_per_connection, event_loop, event_loops, fibers };

inline constexpr const char* kConcurrencyModelNames[] = {"pool", "thread-per-connection", "event-loop", "event-loops",
                                                         "fibers"};
std::string_view to_string(ConcurrencyModel model);
// Throws std::invalid_argument for a name not in kConcurrencyModelNames.
ConcurrencyModel parse_concurrency_model(std::string_view name);

struct ModelSettings {
  ConcurrencyModel model = ConcurrencyModel::pool;
  std::size_t workers = 32;      // pool
  std::size_t max_threads = 4096;  // thread-per-connection's threads; the event loops' fibers
  std::size_t loops = 0;         // event-loops' loops, fibers' threads; 0: one per core
};

// The loops (event-loops) or threads (fibers) for `loops` (0: one per core, at least 1).
std::size_t loops_for(std::size_t loops);

// The task queue cpp-httplib runs connections on: `workers` threads for the pool, a
// thread per connection up to `max_threads`, or fibers on one or `loops` event loops,
// or on one loop of `loops` threads.
// `busy` (may be null) counts the threads or fibers serving a connection now; it must
// outlive the queue.
httplib::TaskQueue* make_task_queue(const ModelSettings& settings, prometheus::Gauge* busy);

}  // namespace scalelab::app
