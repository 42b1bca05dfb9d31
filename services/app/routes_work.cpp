// Simulated work for the scaling experiments: a wait (I/O-bound work: it holds a
// worker of the pool but no CPU, so more instances help; on an event loop it parks only
// its fiber) and a CPU burn (on 2 cores, more instances cannot help; on an event loop
// it holds up every request of the loop).
#include "common/waits.hpp"
#include "services/app/app.hpp"
#include "services/app/cold_start.hpp"

namespace scalelab::app {

void add_work_routes(App& app) {
  app.router.add({"GET", "/api/work", RouteKind::api, false, [&app](Exchange& ex) {
                    const std::int64_t io_ms = ex.query_int("io_ms", 0, 10000, 0);
                    const std::int64_t cpu_ms = ex.query_int("cpu_ms", 0, 10000, 0);
                    if (io_ms > 0) waits::sleep_for(std::chrono::milliseconds(io_ms));
                    if (cpu_ms > 0) burn_cpu(cpu_ms);
                    ex.send_json(200, {{"io_ms", io_ms}, {"cpu_ms", cpu_ms}, {"served_by", app.config.instance_id}});
                  }});
}

}  // namespace scalelab::app
