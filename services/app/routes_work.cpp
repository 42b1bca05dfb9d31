// Simulated work for the scaling experiments: a blocking wait (I/O-bound work holds a
// worker but no CPU, so more instances help) and a CPU burn (on 2 cores, more
// instances cannot help).
#include <time.h>

#include <thread>

#include "services/app/app.hpp"

namespace scalelab::app {
namespace {

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void burn_cpu(std::int64_t ms) {
  const double until = thread_cpu_seconds() + static_cast<double>(ms) / 1000.0;
  volatile std::uint64_t x = 0;
  while (thread_cpu_seconds() < until)
    for (int i = 0; i < 10000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
}

}  // namespace

void add_work_routes(App& app) {
  app.router.add({"GET", "/api/work", RouteKind::api, false, [&app](Exchange& ex) {
                    const std::int64_t io_ms = ex.query_int("io_ms", 0, 10000, 0);
                    const std::int64_t cpu_ms = ex.query_int("cpu_ms", 0, 10000, 0);
                    if (io_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(io_ms));
                    if (cpu_ms > 0) burn_cpu(cpu_ms);
                    ex.send_json(200, {{"io_ms", io_ms}, {"cpu_ms", cpu_ms}, {"served_by", app.config.instance_id}});
                  }});
}

}  // namespace scalelab::app
