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
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <httplib.h>
#include <prometheus/gauge.h>

namespace scalelab::app {

enum class ConcurrencyModel { pool, thread_per_connection };

inline constexpr const char* kConcurrencyModelNames[] = {"pool", "thread-per-connection"};
std::string_view to_string(ConcurrencyModel model);
// Throws std::invalid_argument for a name not in kConcurrencyModelNames.
ConcurrencyModel parse_concurrency_model(std::string_view name);

// The task queue cpp-httplib runs connections on, for `model`: `workers` threads for
// the pool, or a thread per connection up to `max_threads`. `busy` (may be null)
// counts the threads serving a connection now; it must outlive the queue's threads.
httplib::TaskQueue* make_task_queue(ConcurrencyModel model, std::size_t workers, std::size_t max_threads,
                                    prometheus::Gauge* busy);

}  // namespace scalelab::app
