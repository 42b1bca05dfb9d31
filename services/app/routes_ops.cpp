// Operations: liveness, readiness (the balancer's health check), Prometheus metrics,
// and the admin API that flips the state toggle and starts a drain.
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "services/app/app.hpp"

namespace scalelab::app {

void add_ops_routes(App& app) {
  app.router.add({"GET", "/healthz", RouteKind::ops, false, [&app](Exchange& ex) {
                    ex.send_json(200, {{"status", "ok"}, {"instance", app.config.instance_id}});
                  }});

  app.router.add({"GET", "/readyz", RouteKind::ops, false, [&app](Exchange& ex) {
                    std::optional<std::string> reason;
                    if (app.draining.load()) reason = "draining";
                    if (!reason) reason = app.stores.unready_reason(app.state);
                    if (reason) {
                      ex.send_json(503, {{"ready", false}, {"reason", *reason}, {"instance", app.config.instance_id}});
                    } else {
                      ex.send_json(200, {{"ready", true}, {"instance", app.config.instance_id}});
                    }
                  }});

  app.router.add({"GET", "/metrics", RouteKind::ops, false, [&app](Exchange& ex) {
                    app.metrics->state(app.state);
                    app.metrics->redis_connections(app.stores.redis().connections_opened(),
                                                   app.stores.redis().open_connections());
                    app.metrics->log_lines_dropped(log::dropped_lines());
                    StageTimer timer(ex.ctx.serialize);
                    ex.res.status = 200;
                    ex.res.set_content(metrics::serialize(*app.registry), metrics::kContentType);
                  }});

  app.router.add({"GET", "/admin/state", RouteKind::admin, false,
                  [&app](Exchange& ex) { ex.send_json(200, app.state.to_json()); }});

  app.router.add({"PUT", "/admin/state", RouteKind::admin, true, [&app](Exchange& ex) {
                    const auto update = ex.json_body();
                    const auto before = app.state.to_json();
                    if (auto problem = app.state.apply(update); !problem.empty())
                      throw HttpError(400, "bad_state", problem);
                    app.metrics->state(app.state);
                    log::info("state toggled", {{"from", before}, {"to", app.state.to_json()}});
                    ex.send_json(200, app.state.to_json());
                  }});

  app.router.add({"POST", "/admin/drain", RouteKind::admin, false, [&app](Exchange& ex) {
                    if (!app.draining.exchange(true)) log::info("draining on request of the admin API");
                    app.metrics->draining(true);
                    ex.send_json(202, {{"draining", true}});
                  }});
}

}  // namespace scalelab::app
