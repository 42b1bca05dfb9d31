// Simulated work for the scaling experiments: a blocking wait (I/O-bound work holds a
// worker but no CPU, so more instances help) and a CPU burn (on 2 cores, more
// instances cannot help).
#include <thread>

#include "services/app/app.hpp"
#include "services/app/cold_start.hpp"

namespace scalelab::app {

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
